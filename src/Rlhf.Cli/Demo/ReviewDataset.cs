using System.Text.Json;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Cli.Demo;

/// <summary>
/// Writes the demo's built-in data set from <see cref="ReviewCorpus"/> into a directory: <c>corpus.txt</c> (pretraining
/// documents, one per line), <c>sft.jsonl</c> (demonstrations {"prompt","response"}), three disjoint prompt sets
/// <c>prompts_label.jsonl</c>, <c>prompts_rl.jsonl</c>, <c>prompts_eval.jsonl</c> ({"prompt"}; none is a
/// demonstration's prompt), and <c>tokenizer.txt</c> (documents plus demonstrations in the chat format, to train BPE on).
/// </summary>
public static class ReviewDataset
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>What was written.</summary>
    public sealed record Counts(int Documents, int Demonstrations, int LabelPrompts, int RlPrompts, int EvalPrompts);

    /// <summary>Writes the files (atomically each) for <paramref name="seed"/>; the same arguments give the same bytes.</summary>
    public static Counts Write(string dir, ulong seed, int documents, int demonstrations, int labelPrompts, int rlPrompts, int evalPrompts)
    {
        foreach (var (name, v) in new[] { ("documents", documents), ("demonstrations", demonstrations), ("labelPrompts", labelPrompts), ("rlPrompts", rlPrompts), ("evalPrompts", evalPrompts) })
            ArgumentOutOfRangeException.ThrowIfNegative(v, name);
        Directory.CreateDirectory(dir);
        var corpus = new ReviewCorpus(seed);
        var docs = Enumerable.Range(0, documents).Select(_ => corpus.NextDocument()).ToList();
        var demos = Enumerable.Range(0, demonstrations).Select(_ => corpus.NextDemonstration()).ToList();
        AtomicFile.WriteAllText(Path.Combine(dir, "corpus.txt"), string.Concat(docs.Select(d => d + "\n")));
        WriteJsonl(Path.Combine(dir, "sft.jsonl"), demos.Select(d => new { prompt = d.Prompt, response = d.Response }));

        // distinct prompts, none shared between the sets or with a demonstration; past the (finite) phrase space they repeat
        var seen = new HashSet<string>(demos.Select(d => d.Prompt));
        List<string> Prompts(int n)
        {
            var list = new List<string>(n);
            for (int tries = 0; list.Count < n && tries < 100 * n; tries++)
                if (corpus.NextPrompt().Prompt is var p && seen.Add(p)) list.Add(p);
            while (list.Count < n) list.Add(corpus.NextPrompt().Prompt);
            return list;
        }
        var eval = Prompts(evalPrompts);
        var rl = Prompts(rlPrompts);
        var label = Prompts(labelPrompts);
        WriteJsonl(Path.Combine(dir, "prompts_eval.jsonl"), eval.Select(p => new { prompt = p }));
        WriteJsonl(Path.Combine(dir, "prompts_rl.jsonl"), rl.Select(p => new { prompt = p }));
        WriteJsonl(Path.Combine(dir, "prompts_label.jsonl"), label.Select(p => new { prompt = p }));
        // the tokenizer sees documents and the chat format, so "User:" / "Assistant:" get their own tokens
        AtomicFile.WriteAllText(Path.Combine(dir, "tokenizer.txt"),
            string.Concat(docs.Take(5_000).Select(d => d + "\n")) + string.Concat(demos.Take(1_000).Select(d => $"User: {d.Prompt}\nAssistant: {d.Response}\n")));
        return new Counts(docs.Count, demos.Count, label.Count, rl.Count, eval.Count);
    }

    private static void WriteJsonl<T>(string path, IEnumerable<T> records) =>
        AtomicFile.WriteAllText(path, string.Concat(records.Select(r => JsonSerializer.Serialize(r, Json) + "\n")));
}
