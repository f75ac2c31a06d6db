using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.RewardModeling;

/// <summary>
/// Preference records into reward-model batches: every completion through the chat template
/// (<c>User: {prompt}\nAssistant: {completion}&lt;|endoftext|&gt;</c>, or the model's chat format with the prompt's
/// conversation, ending in end-of-turn), rows right-padded to the batch's longest with an
/// attention mask, so the score head reads each row at its own last real token (the end-of-text). A record with any
/// completion longer than <paramref name="seqLen"/> is skipped whole and counted: cutting a response would score a
/// different text than the labeler ranked, and dropping one completion would change the ranking's pairs.
/// </summary>
/// <param name="template">Chat template (and tokenizer).</param>
/// <param name="seqLen">Most tokens per completion (the model context).</param>
public sealed class RewardCollator(ChatTemplate template, int seqLen)
{
    /// <summary>The template completions are encoded with.</summary>
    public ChatTemplate Template { get; } = template;

    /// <summary>Most tokens per completion.</summary>
    public int SeqLen { get; } = seqLen;

    /// <summary>Encodes the records that fit; <paramref name="skipped"/> counts the rest (a completion over <see cref="SeqLen"/> tokens).</summary>
    public List<EncodedRanking> Encode(IReadOnlyList<RankedCompletions> records, out int skipped) =>
        [.. EncodeWithSources(records, out skipped).Select(x => x.Encoded)];

    /// <summary>
    /// <see cref="Encode"/>, each kept record with the record it was encoded from (what a held-out evaluation scored,
    /// for figures computed on exactly those pairs such as <see cref="Labeling.LabelCeiling"/>).
    /// </summary>
    public List<(RankedCompletions Source, EncodedRanking Encoded)> EncodeWithSources(IReadOnlyList<RankedCompletions> records, out int skipped)
    {
        ArgumentNullException.ThrowIfNull(records);
        var kept = new List<(RankedCompletions, EncodedRanking)>(records.Count);
        skipped = 0;
        foreach (var r in records)
        {
            var seqs = new int[r.Completions.Count][];
            bool fits = true;
            for (int k = 0; k < seqs.Length && fits; k++)
            {
                seqs[k] = Template.Encode(r.Prompt, r.Messages, r.Completions[k]).Ids;
                fits = seqs[k].Length <= SeqLen;
            }
            if (!fits) skipped++;
            else if (r.Pairs() is { Count: > 0 } pairs) kept.Add((r, new EncodedRanking(seqs, pairs))); // flagged all-bad: nothing to learn
        }
        return kept;
    }

    /// <summary>One batch of the records in <paramref name="group"/>; every pair gets margin <paramref name="margin"/>.</summary>
    public RewardBatch Collate(IReadOnlyList<EncodedRanking> group, float margin = 0f)
    {
        ArgumentNullException.ThrowIfNull(group);
        var seqs = new List<int[]>();
        var pairs = new List<ScorePair>();
        foreach (var r in group)
        {
            int first = seqs.Count;
            seqs.AddRange(r.Sequences);
            foreach (var p in r.Pairs) pairs.Add(new ScorePair(first + p.Better, first + p.Worse, (float)p.Weight, margin));
        }
        var (ids, mask, t) = Pad(seqs, Template.Tokenizer.PadId);
        return new RewardBatch(ids, mask, seqs.Count, t, pairs, group.Count);
    }

    /// <summary>Right-pads <paramref name="seqs"/> to the longest: ids (N·T), mask (true = real) and T.</summary>
    public static (int[] Ids, bool[] Mask, int SeqLen) Pad(IReadOnlyList<int[]> seqs, int padId)
    {
        ArgumentNullException.ThrowIfNull(seqs);
        int t = 1;
        foreach (var s in seqs) t = Math.Max(t, s.Length);
        var ids = new int[seqs.Count * t];
        var mask = new bool[seqs.Count * t];
        Array.Fill(ids, padId);
        for (int i = 0; i < seqs.Count; i++)
        {
            seqs[i].CopyTo(ids, i * t);
            mask.AsSpan(i * t, seqs[i].Length).Fill(true);
        }
        return (ids, mask, t);
    }

    /// <summary>
    /// Raw scores of token sequences, <paramref name="rows"/> per forward pass under <see cref="Tensor.NoGrad"/>, in
    /// input order. Each sequence must fit the model context.
    /// </summary>
    public static float[] ScoreRaw(RewardModel model, IReadOnlyList<int[]> seqs, int rows = 32)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(seqs);
        var scores = new float[seqs.Count];
        using var noGrad = Tensor.NoGrad();
        for (int i = 0; i < seqs.Count; i += rows)
        {
            int n = Math.Min(rows, seqs.Count - i);
            var chunk = new int[n][];
            for (int j = 0; j < n; j++) chunk[j] = seqs[i + j];
            var (ids, mask, t) = Pad(chunk, 0);
            model.Scores(ids, n, t, mask).ToArray().CopyTo(scores, i);
        }
        return scores;
    }
}
