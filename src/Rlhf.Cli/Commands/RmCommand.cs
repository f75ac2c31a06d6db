using System.CommandLine;
using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Sft;
using Rlhf.Data;
using Rlhf.Data.Preferences;
using Rlhf.Training.RewardModeling;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf rm train|eval|score</c>: reward models from preference data (<see cref="RewardTrainer"/>).</summary>
public static class RmCommand
{
    /// <summary>Builds the <c>rm</c> verb with its subcommands.</summary>
    public static Command Create() => new("rm", "Reward models: train on pairwise or K-wise preferences, evaluate, score responses.")
    {
        Train(), Eval(), Score(),
    };

    private static Command Train()
    {
        var defaults = new RewardConfig { OutDir = "" };
        var training = new TrainingOptions(defaults, "Optimizer steps; 0 = --epochs passes over the training prompts.",
            "Fraction of the prompts held out (split by prompt) for evaluation and for the score normalisation.");
        training.ValFraction.Aliases.Add("--eval-fraction");
        var data = new Option<string>("--data") { Description = "Preference JSONL: {\"prompt\", \"chosen\", \"rejected\"} or {\"prompt\", \"completions\", \"ranking\"[, \"ties\"]}. Required unless --resume." };
        var init = new Option<string?>("--init") { Description = "Base or SFT model directory whose trunk the reward model starts from. Required unless --resume." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer directory (default: the --init directory)." };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training prompts when --steps is 0.", DefaultValueFactory = _ => defaults.Epochs };
        var ensemble = new Option<int>("--ensemble") { Description = "Train N members with seeds seed+i into <out>/member-i.", DefaultValueFactory = _ => 1 }
            .Require(v => v >= 1, "--ensemble must be at least 1.");
        var margin = new Option<float>("--margin") { Description = "Required score gap m in −log σ(r_better − r_worse − m).", DefaultValueFactory = _ => 0f };
        var center = new Option<bool>("--center") { Description = "Reward centering: add 0.01·mean over the compared pairs of (r_better + r_worse)², weighted like the pairs, to the loss (Eisenstein et al. 2023; TRL center_rewards_coefficient): each prompt's scores are pulled towards zero sum." };
        var gold = new Option<string?>("--gold")
        {
            Description = "The gold scorer the labels were made from ('lexicon' or 'rm:<dir>'), when known: the held-out evaluation then also logs the labelers' ceilings on "
                + "exactly its pairs (label_ceiling_gold: the gold scorer's agreement with the labels; label_ceiling_utility: that of the labelers' biased utility, see --labeler-length-bias).",
        };
        gold.Require(v => v is null || CommandSupport.IsGoldName(v), CommandSupport.GoldNameMessage);
        var labelerLengthBias = new Option<double>("--labeler-length-bias") { Description = "With --gold: the labelers' length bias b (label simulate --length-bias) of their utility gold + b·len/100.", DefaultValueFactory = _ => 0 }
            .Require(double.IsFinite, "--labeler-length-bias must be a finite number.");
        var reference = new Option<string?>("--reference") { Description = "JSONL of {\"prompt\", \"response\"} samples of the reference policy; after training, scores are normalised so these score mean 0, std 1 (default: the held-out completions)." };
        var chatTemplate = CommandSupport.ChatTemplateOption();

        var command = new Command("train", "Trains a reward model: every completion of G prompts is scored in one pass and the ranking loss "
            + "−(1/G) Σ w·log σ(r_b − r_w − m) covers all their pairs. Writes metrics.jsonl and checkpoint/ (model normalised on the "
            + "--reference samples or the held-out completions + tokenizer, optimizer and trainer state). --resume continues a stopped run exactly.")
        {
            data, init, tokenizer, epochs, ensemble, margin, center, reference, gold, labelerLengthBias, chatTemplate,
        };
        training.AddTo(command);
        // the shared training options describe LM trainers; say what they mean here
        training.Out.Description = "Run directory: metrics.jsonl and checkpoint/ (reward model in HF layout + tokenizer.json); with --ensemble N, member-i/ per member.";
        training.Resume.Description = "Continue the run in --out from its checkpoint/ (same data and settings); with --ensemble, members without a checkpoint start fresh.";
        training.Batch.Description = "Prompts per optimizer step (all their completions are scored together).";
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, error) =>
        {
            string outDir = parse.GetValue(training.Out)!;
            bool resume = parse.GetValue(training.Resume);
            int members = parse.Given(ensemble) || !resume ? parse.GetValue(ensemble) : SavedMembers(outDir);
            var outs = members == 1 ? [outDir] : Enumerable.Range(0, members).Select(i => RunLayout.Member(outDir, i)).ToArray();
            var resumeMember = outs.Select(o => resume && TrainingCheckpoint.Find(o) is not null).ToArray();
            if (resume && !resumeMember.Any(r => r))
                throw new TrainingException($"nothing to resume: no checkpoint in {(members == 1 ? outDir : string.Join(", ", outs))}; start without --resume");
            for (int i = 0; i < outs.Length; i++) if (!resumeMember[i]) RewardTrainer.CheckFresh(outs[i]);

            // a resume takes every setting from the checkpoint (of the first member that has one; member i was seeded seed + i)
            int first = Array.IndexOf(resumeMember, true);
            RewardConfig? saved = first < 0 ? null : TrainingCheckpoint.ReadState<RewardConfig, ShuffledOrderState>(outs[first], RewardTrainer.Kind).State.Config;
            if (saved is not null) saved = saved with { Seed = saved.Seed - (ulong)first };
            string initDir = TrainingCheckpoint.ResolveModelDirectory(parse.GetValue(init) ?? saved?.InitCheckpoint
                ?? throw new TrainingException("--init is required: the base or SFT model whose trunk the reward model starts from"));
            string dataPath = parse.GetValue(data) ?? saved?.Data?.SingleOrDefault() ?? throw new TrainingException("--data is required: the preference JSONL file");
            string? referencePath = parse.GetValue(reference) ?? saved?.Reference;
            var tok = CommandSupport.LoadTokenizer(parse.GetValue(tokenizer) ?? initDir);
            var prefs = PreferenceData.Load(CommandSupport.ExistingFile(dataPath));
            // read the reference samples before anything is written: a malformed line fails here, naming file:line
            var referenceSamples = referencePath is not null
                ? Jsonl.Read<SftExample>(CommandSupport.ExistingFile(referencePath)).Select(x => x.Record).ToList()
                : null;
            RewardConfig config;
            if (saved is null)
                config = training.Apply(parse, defaults with
                {
                    InitCheckpoint = initDir, Epochs = parse.GetValue(epochs), Margin = parse.GetValue(margin),
                    CenterCoefficient = parse.GetValue(center) ? 0.01f : 0f, Data = [dataPath], Reference = referencePath,
                    CeilingGold = parse.GetValue(gold), CeilingLengthBias = parse.GetValue(labelerLengthBias),
                    ChatTemplateName = parse.GetValue(chatTemplate),
                }, onlyGiven: false);
            else
            {
                var c = saved with { InitCheckpoint = initDir, Data = [dataPath], Reference = referencePath };
                if (parse.Given(epochs)) c = c with { Epochs = parse.GetValue(epochs) };
                if (parse.Given(margin)) c = c with { Margin = parse.GetValue(margin) };
                if (parse.Given(center)) c = c with { CenterCoefficient = parse.GetValue(center) ? 0.01f : 0f };
                if (parse.Given(chatTemplate)) c = c with { ChatTemplateName = parse.GetValue(chatTemplate) };
                config = training.Apply(parse, c, onlyGiven: true);
            }
            training.Check(config, (nameof(RewardConfig.Epochs), epochs), (nameof(RewardConfig.Margin), margin), (nameof(RewardConfig.InitCheckpoint), init));
            var ceilingGold = config.CeilingGold is { } g ? CommandSupport.CreateGold(g) : null;
            output.WriteLine($"rm: {prefs.Records.Count} {prefs.Format.ToString().ToLowerInvariant()} records from {dataPath}");
            using var stop = new StopSignal(error);
            for (int i = 0; i < members; i++)
            {
                if (members > 1) output.WriteLine($"rm: ensemble member {i} (seed {config.Seed + (ulong)i}) → {outs[i]}");
                var result = new RewardTrainer(config with { OutDir = outs[i], Seed = config.Seed + (ulong)i }, tok, prefs, output, CommandSupport.Progress(output))
                    { ReferenceSamples = referenceSamples, CeilingGold = ceilingGold, CeilingLengthBias = config.CeilingLengthBias }
                    .Run(resumeMember[i], stop.Token);
                if (result.Stopped) return CommandSupport.StoppedExitCode;
            }
            return 0;
        }));
        return command;
    }

    /// <summary>Members of the reward-model run in <paramref name="outDir"/>: 1 for a single run (checkpoint/), else the number of member-*/ directories.</summary>
    private static int SavedMembers(string outDir)
    {
        if (TrainingCheckpoint.Find(outDir) is not null || !Directory.Exists(outDir)) return 1;
        int n = RunLayout.Members(outDir).Count;
        return Math.Max(1, n);
    }

    private static Command Eval()
    {
        var model = new Option<string>("--model") { Description = "Reward model directory (a run directory, its checkpoint/, or the first member of an ensemble run).", Required = true };
        var data = new Option<string>("--data") { Description = "Preference JSONL (pairwise or ranked).", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var chatTemplate = CommandSupport.ChatTemplateOption();
        var command = new Command("eval", "Pairwise accuracy (95% Wilson interval), mean normalised margin, ranking loss and a calibration table "
            + "(confidence max(p, 1−p), p = σ(r_better − r_worse), in 10 bins vs observed accuracy).") { model, data, json, chatTemplate };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            var dirs = RunLayout.RewardModelDirectories(parse.GetValue(model)!);
            var prefs = PreferenceData.Load(CommandSupport.ExistingFile(parse.GetValue(data)!));
            var rm = RewardModel.Load(dirs[0]);
            var e = RewardEvaluator.Evaluate(rm, ChatTemplate.For(CommandSupport.LoadTokenizer(dirs[0]), parse.GetValue(chatTemplate)), prefs);
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    records = e.Records, skipped = e.Skipped, pairs = e.Pairs, accuracy = e.Accuracy, wilson_lower = e.Lower, wilson_upper = e.Upper,
                    mean_margin = e.MeanMargin, loss = e.Loss,
                    calibration = e.Calibration.Select(b => new { low = b.Low, high = b.High, count = b.Count, mean_confidence = Finite(b.MeanConfidence), accuracy = Finite(b.Accuracy) }),
                }));
                return 0;
            }
            output.WriteLine($"records {e.Records} (skipped {e.Skipped} too long), pairs {e.Pairs}");
            output.WriteLine($"accuracy {e.Accuracy:P1} (95% Wilson [{e.Lower:P1}, {e.Upper:P1}]), mean margin {e.MeanMargin:F3}, loss {e.Loss:F4}");
            output.WriteLine("confidence   pairs  mean conf  accuracy");
            foreach (var b in e.Calibration)
                output.WriteLine($"[{b.Low:F2}, {b.High:F2}) {b.Count,6}  {(b.Count == 0 ? "-" : b.MeanConfidence.ToString("F3")),9}  {(b.Count == 0 ? "-" : b.Accuracy.ToString("F3")),8}");
            return 0;
        }));
        return command;
    }

    private static Command Score()
    {
        var models = new Option<string[]>("--model") { Description = "Reward model directory; several (or an ensemble run directory) form an ensemble.", Required = true, AllowMultipleArgumentsPerToken = true };
        var data = new Option<string>("--data") { Description = "JSONL of {\"prompt\", \"response\"} objects.", Required = true };
        var json = new Option<bool>("--json") { Description = "One JSON object per record instead of text." };
        var chatTemplate = CommandSupport.ChatTemplateOption();
        var command = new Command("score", "Normalised reward of each prompt/response; with several models also the ensemble mean and std.") { models, data, json, chatTemplate };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            var dirs = parse.GetValue(models)!.SelectMany(RunLayout.RewardModelDirectories).ToList();
            var rms = dirs.Select(RewardModel.Load).ToList();
            var template = ChatTemplate.For(CommandSupport.LoadTokenizer(dirs[0]), parse.GetValue(chatTemplate));
            string path = CommandSupport.ExistingFile(parse.GetValue(data)!);
            int context = rms.Min(m => m.Trunk.MaxPositions);
            var records = new List<SftExample>();
            var seqs = new List<int[]>();
            foreach (var (line, r) in Jsonl.Read<SftExample>(path))
            {
                var ids = template.Encode(r.Prompt, r.Response).Ids;
                if (ids.Length > context) throw new DataFormatException($"{path}:{line}: prompt + response are {ids.Length} tokens, over the model context of {context}");
                records.Add(r);
                seqs.Add(ids);
            }
            if (records.Count == 0) throw new DataFormatException($"{path}:1: no records (expected JSON lines with \"prompt\" and \"response\")");
            var z = rms.Select(m => RewardCollator.ScoreRaw(m, seqs).Select(m.Normalize).ToArray()).ToList();
            var (mean, std) = RewardEnsemble.Combine(z, records.Count);
            for (int i = 0; i < records.Count; i++)
            {
                if (parse.GetValue(json))
                    output.WriteLine(rms.Count == 1
                        ? JsonSerializer.Serialize(new { prompt = records[i].Prompt, response = records[i].Response, score = z[0][i] })
                        : JsonSerializer.Serialize(new { prompt = records[i].Prompt, response = records[i].Response, score = mean[i], std = std[i], scores = z.Select(s => s[i]) }));
                else output.WriteLine(rms.Count == 1 ? $"{z[0][i]:F4}" : $"{mean[i]:F4} ± {std[i]:F4}");
            }
            return 0;
        }));
        return command;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
