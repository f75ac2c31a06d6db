namespace Rlhf.Training.RewardModeling;

/// <summary>
/// Completions of <paramref name="Groups"/> prompts, right-padded into one (Rows, SeqLen) block for a single reward
/// forward pass, with the pairs between their rows.
/// </summary>
/// <param name="Ids">Token ids (Rows·SeqLen, row-major); padding is the tokenizer's pad id.</param>
/// <param name="Mask">Attention mask (true = real token), same layout.</param>
/// <param name="Rows">Completions in the batch (Σ K over its prompts).</param>
/// <param name="SeqLen">Longest completion of the batch.</param>
/// <param name="Pairs">Row-index pairs of all prompts, each weighted 1/#pairs of its prompt.</param>
/// <param name="Groups">Prompts in the batch (G, the loss's divisor).</param>
public sealed record RewardBatch(int[] Ids, bool[] Mask, int Rows, int SeqLen, IReadOnlyList<ScorePair> Pairs, int Groups);
