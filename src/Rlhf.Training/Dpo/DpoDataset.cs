using Rlhf.Models.Tokenization;

namespace Rlhf.Training.Dpo;

/// <summary>
/// Encoded preference pairs: every distinct (prompt, response) sequence once (<see cref="Prompts"/>,
/// <see cref="Responses"/>: template ids, the response ending in end-of-text), and each pair as indices into them,
/// so a completion shared by several pairs of a K-wise ranking has one cached reference log-probability.
/// </summary>
public sealed class DpoDataset
{
    internal DpoDataset(List<int[]> prompts, List<int[]> responses, List<string> promptTexts, List<IReadOnlyList<ChatMessage>?> promptMessages,
        List<(int Chosen, int Rejected)> pairs, DpoFitReport report)
        => (Prompts, Responses, PromptTexts, PromptMessages, Pairs, Report) = (prompts, responses, promptTexts, promptMessages, pairs, report);

    /// <summary>Prompt ids of each sequence.</summary>
    public IReadOnlyList<int[]> Prompts { get; }

    /// <summary>Response ids of each sequence (ending in end-of-text).</summary>
    public IReadOnlyList<int[]> Responses { get; }

    /// <summary>Prompt text of each sequence.</summary>
    public IReadOnlyList<string> PromptTexts { get; }

    /// <summary>The prompt's conversation of each sequence where the data gave one (else null: the text is one user message).</summary>
    public IReadOnlyList<IReadOnlyList<ChatMessage>?> PromptMessages { get; }

    /// <summary>(chosen, rejected) sequence indices of each kept pair, in input order.</summary>
    public IReadOnlyList<(int Chosen, int Rejected)> Pairs { get; }

    /// <summary>Loss weight of each kept pair (its labeler's weight), or null when every pair weighs 1.</summary>
    public IReadOnlyList<float>? PairWeights { get; init; }

    /// <summary>What encoding kept and skipped.</summary>
    public DpoFitReport Report { get; }

    /// <summary>Number of distinct sequences.</summary>
    public int SequenceCount => Prompts.Count;

    /// <summary>
    /// FNV-1a hash of every id and pair index: identifies the data a reference cache belongs to (a resume with other
    /// data, tokenizer or length limit is refused instead of training against mismatched reference values).
    /// </summary>
    public ulong Fingerprint()
    {
        ulong h = 14695981039346656037UL;
        void Add(int v) { h = (h ^ (uint)v) * 1099511628211UL; }
        for (int i = 0; i < Prompts.Count; i++)
        {
            Add(Prompts[i].Length); foreach (int t in Prompts[i]) Add(t);
            Add(Responses[i].Length); foreach (int t in Responses[i]) Add(t);
        }
        foreach (var (c, r) in Pairs) { Add(c); Add(r); }
        return h;
    }
}
