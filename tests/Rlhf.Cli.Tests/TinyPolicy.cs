using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;

namespace Rlhf.Cli.Tests;

/// <summary>The tiny policy the DPO and online tests train: a 2-layer GPT with its own small BPE tokenizer.</summary>
internal static class TinyPolicy
{
    /// <summary>
    /// A tiny model with its tokenizer in <c>dir/base</c>, and a pairwise file <c>dir/prefs.jsonl</c> of 20 prompts plus
    /// one pair too long for 40 tokens.
    /// </summary>
    public static (string Model, string Data) Create(string dir)
    {
        string P(string name) => Path.Combine(dir, name);
        string[] nouns = ["cat", "dog", "sun", "bird"];
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("the cat is warm. the dog is cold. the sun is warm. the bird is cold.\n", 20)), 300);
        HfCheckpoint.Save(P("base"), new Gpt(new GptConfig(2, 2, 16, 48, tok.VocabSize), seed: 4), eosTokenId: tok.EndOfTextId);
        tok.Save(P("base"));
        var lines = Enumerable.Range(0, 20).Select(i => JsonSerializer.Serialize(new { prompt = $"the {nouns[i % 4]} {i}", chosen = $"the {nouns[i % 4]} is warm.", rejected = $"the {nouns[i % 4]} is cold." })).ToList();
        lines.Add(JsonSerializer.Serialize(new { prompt = "the cat", chosen = string.Concat(Enumerable.Repeat("the cat is warm. ", 8)), rejected = "cold." }));
        File.WriteAllLines(P("prefs.jsonl"), lines);
        return (P("base"), P("prefs.jsonl"));
    }
}
