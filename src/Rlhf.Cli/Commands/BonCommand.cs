using System.CommandLine;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.BestOfN;
using Rlhf.Training.Distributed;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Labeling;
using Rlhf.Training.Rl;
using Rlhf.Data;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf bon</c>: best-of-N sampling against a reward model (or ensemble) — sample N responses per prompt, keep the
/// RM's best, report the analytic KL; optionally write the winners as SFT data (rejection-sampling fine-tune) and the
/// reward-vs-√KL curve for n = 1, 2, 4, …, N (curve.json + curve.svg).
/// </summary>
public static class BonCommand
{
    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private static readonly JsonSerializerOptions CompactJson = new(Json) { WriteIndented = false };

    /// <summary>Builds the <c>bon</c> verb.</summary>
    public static Command Create()
    {
        var policy = new Option<string>("--policy") { Description = "Policy model directory (HF layout with tokenizer.json) or a training run directory.", Required = true };
        var rewardModels = new Option<string[]>("--reward-model")
        {
            Description = "Reward model directory (a run, its checkpoint/, or an ensemble run with member-*/); repeatable: all members form one ensemble (mean reward).",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var prompts = new Option<string>("--prompts") { Description = "JSONL of {\"prompt\": ...} lines.", Required = true };
        var n = new Option<int>("--n") { Description = "Samples per prompt N (best-of-N).", DefaultValueFactory = _ => 8 }
            .Require(v => v >= 1, "--n must be at least 1 (best-of-N needs N ≥ 1 samples per prompt).");
        var output = new Option<string>("--out") { Description = "Output directory: best.jsonl, summary.json, and with --curve curve.json + curve.svg.", Required = true };
        var writeSft = new Option<string?>("--write-sft") { Description = "Also write the winners as SFT data {\"prompt\", \"response\"} (rejection-sampling fine-tune)." };
        var gold = new Option<string?>("--gold")
        {
            Description = "Gold scorer to report alongside the proxy: 'lexicon' (built-in sentiment lexicon) or 'rm:<dir>' (a reward model checkpoint as gold RM).",
        };
        gold.Require(v => v is null || CommandSupport.IsGoldName(v), CommandSupport.GoldNameMessage);
        var curve = new Option<bool>("--curve") { Description = "Write the best-of-n curve for n = 1, 2, 4, …, N (proxy and gold vs √KL, Gao et al. fit) to curve.json and curve.svg." };
        var json = new Option<bool>("--json") { Description = "Print the summary as one JSON object." };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens to generate at most per response.", DefaultValueFactory = _ => 64 }
            .Require(v => v >= 1, "--max-new-tokens must be at least 1.");
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (> 0: best-of-N needs diverse samples).", DefaultValueFactory = _ => 1f }
            .Require(v => v > 0 && float.IsFinite(v), "--temperature must be > 0.");
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed (same seed and inputs: same output).", DefaultValueFactory = _ => 1 };
        var eosPenalty = CommandSupport.MissingEosPenaltyOption();
        var batch = new Option<int>("--batch") { Description = "Sequences generated and scored together.", DefaultValueFactory = _ => 32 }
            .Require(v => v >= 1, "--batch must be at least 1.");
        var chatTemplate = CommandSupport.ChatTemplateOption();
        chatTemplate.Description += " The reward models are read with the same choice.";

        var command = new Command("bon", "Best-of-N: sample N responses per prompt, keep the reward model's best; report the analytic KL log N − (N−1)/N, "
            + "optionally write the winners as SFT data and the reward-vs-√KL curve.")
        {
            policy, rewardModels, prompts, n, output, writeSft, gold, curve, json, maxNew, temperature, seed, batch, eosPenalty, chatTemplate,
        };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            // 1. inputs: prompts (errors name file:line), policy + tokenizer, reward model(s), gold
            string promptsPath = CommandSupport.ExistingFile(parse.GetValue(prompts)!);
            var promptList = RlPrompt.Load(promptsPath);
            string policyDir = TrainingCheckpoint.ResolveModelDirectory(parse.GetValue(policy)!);
            var policyModel = CausalLmCheckpoint.Load(policyDir);
            var template = ChatTemplate.For(CommandSupport.LoadTokenizer(policyDir), parse.GetValue(chatTemplate));
            var config = new GenerationConfig(parse.GetValue(maxNew), parse.GetValue(temperature));
            for (int i = 0; i < promptList.Count; i++)
            {
                int length = template.EncodePrompt(promptList[i].Prompt, promptList[i].Messages).Length;
                if (length + config.MaxNewTokens > policyModel.MaxPositions)
                    throw new TrainingException($"{promptsPath}: prompt {i + 1} is {length} tokens with the chat template; with --max-new-tokens {config.MaxNewTokens} "
                        + $"that exceeds the policy's context of {policyModel.MaxPositions} tokens");
            }
            var rmDirs = parse.GetValue(rewardModels)!.SelectMany(RunLayout.RewardModelDirectories).ToList();
            var proxy = RewardModelReward.Load(rmDirs, parse.GetValue(chatTemplate));
            IRewardFunction? goldReward = parse.GetValue(gold) is { } g ? new GoldScorerReward(CommandSupport.CreateGold(g)) : null;

            // 2. sample N per prompt, select by the proxy
            int samples = parse.GetValue(n);
            var groups = BestOfNSampler.Run(policyModel, template, promptList, samples, config, proxy, goldReward, new Rng(parse.GetValue(seed)), parse.GetValue(batch), parse.GetValue(eosPenalty));

            // 3. write best.jsonl (+ SFT data, + curve), then summary.json
            string outDir = parse.GetValue(output)!;
            bool root = DataParallel.IsRoot; // under mpiexec every rank holds all groups; rank 0 writes
            if (root) Directory.CreateDirectory(outDir);
            string bestPath = Path.Combine(outDir, "best.jsonl");
            if (root) Jsonl.Write(bestPath, groups.Select(gr => new BonRecord(gr.Prompt.Prompt, gr.Best.Sample.CompletionText, gr.Best.Proxy, gr.Best.Gold, gr.Best.Spread,
                gr.BestIndex, samples, gr.Candidates.Average(c => c.Proxy), goldReward is null ? null : gr.Candidates.Average(c => c.Gold!.Value))));
            string? sftPath = parse.GetValue(writeSft);
            int written = 0, skipped = 0;
            if (sftPath is not null)
            {
                var examples = BestOfNSampler.SftExamples(groups, out skipped);
                written = root ? Jsonl.Write(sftPath, examples) : examples.Count;
            }
            string? curvePath = null;
            if (parse.GetValue(curve))
            {
                var result = BestOfNCurve.Compute(groups);
                curvePath = Path.Combine(outDir, "curve.json");
                if (root)
                {
                    AtomicFile.WriteAllText(curvePath, JsonSerializer.Serialize(result, Json) + "\n");
                    BestOfNCurve.ToPlot(result).Save(Path.Combine(outDir, "curve.svg"));
                }
            }
            var summary = new BonSummary(groups.Count, samples, BestOfNKl.Analytic(samples),
                groups.Average(gr => gr.Best.Proxy), groups.Average(gr => gr.Candidates.Average(c => c.Proxy)),
                goldReward is null ? null : groups.Average(gr => gr.Best.Gold!.Value),
                goldReward is null ? null : groups.Average(gr => gr.Candidates.Average(c => c.Gold!.Value)),
                bestPath, sftPath, written, skipped, curvePath, MissingEosPenalty.TruncatedFraction(groups.SelectMany(gr => gr.Candidates.Select(c => c.Sample)).ToList()));
            if (root) AtomicFile.WriteAllText(Path.Combine(outDir, "summary.json"), JsonSerializer.Serialize(summary, Json) + "\n");

            // 4. report
            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(summary, CompactJson));
                return 0;
            }
            stdout.WriteLine($"bon: {summary.Prompts} prompts × N = {samples}; KL_bon = log N − (N−1)/N = {F(summary.KlBon)} nats (√KL {F(Math.Sqrt(summary.KlBon))}; an upper bound)");
            stdout.WriteLine($"proxy ({proxy.Name}): best {F(summary.ProxyBest)} vs all {F(summary.ProxyAll)}");
            if (goldReward is not null) stdout.WriteLine($"gold ({goldReward.Name}): best {F(summary.GoldBest!.Value)} vs all {F(summary.GoldAll!.Value)}");
            stdout.WriteLine($"unfinished (cut at --max-new-tokens without end-of-text): {summary.TruncatedFrac:P1} of the samples{(parse.GetValue(eosPenalty) is { } pen ? $", their proxy lowered by {pen:G3}" : "")}");
            stdout.WriteLine($"wrote {bestPath}");
            if (sftPath is not null) stdout.WriteLine($"wrote {written} SFT examples to {sftPath}{(skipped > 0 ? $" ({skipped} empty winners skipped)" : "")}");
            if (curvePath is not null) stdout.WriteLine($"wrote {curvePath} and curve.svg");
            return 0;
        }));
        return command;
    }

    private static string F(double v) => v.ToString("0.0000", CultureInfo.InvariantCulture);
}
