using System.Text.Json;
using System.Text.Json.Serialization;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Labeling;
using Rlhf.Training.Rl;
using Rlhf.Data;
using Rlhf.Training.Scoring;
using Rlhf.Cli.Demo.Report;

namespace Rlhf.Cli.Demo;

/// <summary>
/// Writes <c>samples.json</c> of a demo directory (<see cref="DemoSampleTable"/>, the schema the report reads): the first few held-out prompts answered by each model — SFT, PPO at the
/// guard's kept iteration (<c>ppo/best</c>), PPO unleashed to the end (<c>ppo/checkpoint</c>), best-of-N's pick
/// (<c>bon/best.jsonl</c>) and DPO — each answer with its gold and proxy (reward-model ensemble) score. Every model
/// samples with the same seed at temperature 1, as it would when deployed.
/// </summary>
public static class DemoSamples
{
    private sealed record BestLine([property: JsonPropertyName("prompt")] string Prompt, [property: JsonPropertyName("response")] string Response) : IJsonlRecord
    {
        public string? Validate() => null;
    }

    private sealed record PromptLine([property: JsonPropertyName("prompt")] string Prompt) : IJsonlRecord
    {
        public string? Validate() => string.IsNullOrWhiteSpace(Prompt) ? "field 'prompt' must be non-empty text" : null;
    }

    /// <summary>Writes <c>samples.json</c> into demo directory <paramref name="demoDir"/> for its first <paramref name="count"/> held-out prompts.</summary>
    public static void Write(string demoDir, ulong seed, int maxNewTokens, int count, TextWriter log)
    {
        var prompts = Jsonl.Read<PromptLine>(Path.Combine(demoDir, DemoLayout.DataDir, "prompts_eval.jsonl")).Select(r => r.Record.Prompt).Take(count).ToList();
        var rmDirs = RunLayout.RewardModelDirectories(Path.Combine(demoDir, DemoLayout.RmDir));
        var proxy = RewardModelReward.Load(rmDirs);
        var gold = new LexiconSentimentScorer();

        var methods = new List<DemoSampleMethod>();
        void Add(string name, IReadOnlyList<string> completions)
        {
            var scores = proxy.Score(prompts.Select((p, i) => new RewardRequest(p, completions[i])).ToList());
            methods.Add(new DemoSampleMethod(name, completions, completions.Select((c, i) => Math.Round(gold.Score(prompts[i], c), 4)).ToList(),
                scores.Select(s => Math.Round((double)s.Reward, 4)).ToList()));
            log.WriteLine($"samples: {name}: mean gold {methods[^1].Gold!.Average():F3}, mean proxy {methods[^1].Proxy!.Average():F3}");
        }
        Add("SFT", Sample(Path.Combine(demoDir, DemoLayout.SftDir), prompts, seed, maxNewTokens));
        Add("PPO + KL penalty", Sample(Path.Combine(demoDir, DemoLayout.PpoKlDir), prompts, seed, maxNewTokens));
        string best = Path.Combine(demoDir, DemoLayout.PpoDir, RunLayout.BestDirectory);
        if (File.Exists(Path.Combine(best, HfCheckpoint.ConfigFile))) Add("PPO (guard's best)", Sample(best, prompts, seed, maxNewTokens));
        Add("PPO (unleashed, last)", Sample(Path.Combine(demoDir, DemoLayout.PpoDir), prompts, seed, maxNewTokens));
        var bon = Jsonl.Read<BestLine>(Path.Combine(demoDir, DemoLayout.BonDir, "best.jsonl")).ToDictionary(r => r.Record.Prompt, r => r.Record.Response);
        int n = JsonDocument.Parse(File.ReadAllText(Path.Combine(demoDir, DemoLayout.BonDir, "summary.json"))).RootElement.GetProperty("n").GetInt32();
        if (prompts.All(bon.ContainsKey)) Add($"Best-of-{n}", prompts.Select(p => bon[p]).ToList());
        Add("DPO", Sample(Path.Combine(demoDir, DemoLayout.DpoDir), prompts, seed, maxNewTokens));

        AtomicFile.WriteAllText(Path.Combine(demoDir, DemoLayout.SamplesFile),
            JsonSerializer.Serialize(new DemoSampleTable(prompts, methods), new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n");
    }

    /// <summary>One temperature-1 answer per prompt from the model in <paramref name="modelPath"/>, with a fixed seed.</summary>
    private static List<string> Sample(string modelPath, IReadOnlyList<string> prompts, ulong seed, int maxNewTokens)
    {
        string dir = TrainingCheckpoint.ResolveModelDirectory(modelPath);
        var lm = CausalLmCheckpoint.Load(dir);
        var chat = new ChatTemplate(BpeTokenizer.Load(dir));
        var results = Generator.Generate(lm, prompts.Select(chat.EncodePrompt).ToList(), chat.Tokenizer.EndOfTextId,
            new GenerationConfig(maxNewTokens, 1f, 0, 1f), new Rng(seed + 7));
        return results.Select(r => chat.DecodeResponse(r.Completion)).ToList();
    }
}
