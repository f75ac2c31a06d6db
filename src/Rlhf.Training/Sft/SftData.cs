using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Data;

namespace Rlhf.Training.Sft;

/// <summary>SFT examples from JSONL through the chat template, and the held-out split.</summary>
public static class SftData
{
    /// <summary>
    /// Reads <c>{"prompt", "response"}</c> lines of <paramref name="path"/> (<see cref="Jsonl.Read{T}"/>: a malformed
    /// line throws <see cref="DataFormatException"/> naming <c>path:line</c>) and tokenizes each with
    /// <paramref name="template"/>. Throws <see cref="TrainingException"/> when the file holds no example.
    /// </summary>
    public static List<TokenizedSft> Load(string path, ChatTemplate template)
    {
        ArgumentNullException.ThrowIfNull(template);
        var examples = Jsonl.Read<SftExample>(path).Select(r => Tokenize(r.Record, template, $"{path}:{r.Line}")).ToList();
        if (examples.Count == 0) throw new TrainingException($"{path}: no examples (expected JSON lines with \"prompt\" and \"response\")");
        return examples;
    }

    /// <summary>
    /// Template ids of one example: prompt part (<c>User: … \nAssistant:</c>) and response part, without the final
    /// end-of-text (the collator appends it as the last target).
    /// </summary>
    public static TokenizedSft Tokenize(SftExample example, ChatTemplate template, string? source = null)
    {
        ArgumentNullException.ThrowIfNull(example);
        ArgumentNullException.ThrowIfNull(template);
        var ids = template.Encode(example.Prompt, example.Response);
        return new TokenizedSft(ids.Ids[..ids.PromptLength], ids.Ids[ids.PromptLength..^1], source);
    }

    /// <summary>
    /// Holds out ⌈<paramref name="fraction"/>·n⌉ examples (at most n − 1; none for fraction 0) chosen by a seeded
    /// shuffle, so sorted files do not put one kind of example in the held-out set. Both parts keep file order.
    /// </summary>
    public static (List<TokenizedSft> Train, List<TokenizedSft> Val) SplitHeldOut(IReadOnlyList<TokenizedSft> examples, double fraction, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (!(fraction >= 0 && fraction < 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "SplitHeldOut: fraction must be in [0, 1)");
        int n = examples.Count, nVal = Math.Min((int)Math.Ceiling(fraction * n), Math.Max(0, n - 1));
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        new Rng(seed).Shuffle(order.AsSpan());
        var isVal = new bool[n];
        for (int i = 0; i < nVal; i++) isVal[order[i]] = true;
        var train = new List<TokenizedSft>(n - nVal);
        var val = new List<TokenizedSft>(nVal);
        for (int i = 0; i < n; i++) (isVal[i] ? val : train).Add(examples[i]);
        return (train, val);
    }
}
