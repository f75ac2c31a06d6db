using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Rlhf.Cli.Commands;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.Common;
using Rlhf.Cli.Demo.Report;

namespace Rlhf.Cli.Demo;

/// <summary>
/// Runs <c>rlhf demo</c>: the whole RLHF story, stage by stage, into one directory. Every stage runs the ordinary
/// <c>rlhf</c> verbs in-process (so each stage is reproducible by the commands recorded in <c>demo.json</c>, and the
/// same verbs run on your own data); a finished stage is recorded in <c>demo.json</c> and skipped on a re-run, and an
/// unfinished one (killed, failed, interrupted) is cleared and run again — so a re-run resumes from the last finished
/// stage. The seed fixes the corpus, every model's initialisation and every sampler, so the same seed reproduces the
/// same numbers.
/// </summary>
public sealed class DemoRunner
{
    /// <summary>A stage: its name (also its line in demo.json), what it shows, the paths it owns, and its body.</summary>
    private sealed record Stage(string Name, string Title, string[] Outputs, Action Run);

    private readonly string _out;
    private readonly DemoSettings _s;
    private readonly ulong _seed;
    private readonly bool _quick;
    private readonly TextWriter _output;
    private readonly TextWriter _error;
    private List<string> _commands = [];

    /// <summary>A runner writing into <paramref name="outDir"/>.</summary>
    public DemoRunner(string outDir, bool quick, ulong seed, TextWriter output, TextWriter error, IEnumerable<string>? overrides = null)
    {
        _out = outDir;
        _quick = quick;
        _seed = seed;
        _s = (quick ? DemoSettings.Quick : DemoSettings.Full).With(overrides ?? []);
        _output = output;
        _error = error;
    }

    private string P(params string[] parts) => Path.Combine([_out, .. parts]);

    private string S(int v) => v.ToString(CultureInfo.InvariantCulture);

    private string S(float v) => v.ToString("G", CultureInfo.InvariantCulture);

    private string D(double v) => v.ToString("G", CultureInfo.InvariantCulture);

    private string Seed => _seed.ToString(CultureInfo.InvariantCulture);

    private IReadOnlyList<Stage> Stages() =>
    [
        new(DemoLayout.DataStage, "built-in corpus, demonstrations, prompts and a BPE tokenizer", [DemoLayout.DataDir, DemoLayout.TokenizerDir], Data),
        new(DemoLayout.PretrainStage, "pretrain a small GPT on the review corpus", [DemoLayout.BaseDir], Pretrain),
        new(DemoLayout.SftStage, "supervised fine-tuning on demonstrations", [DemoLayout.SftDir], Sft),
        new(DemoLayout.LabelStage, $"simulated labelers rank K = {_s.K} samples per prompt", [DemoLayout.LabelsDir], Label),
        new(DemoLayout.RmStage, $"reward model ensemble of {_s.RmMembers} on the rankings", [DemoLayout.RmDir], RewardModel),
        new(DemoLayout.PpoKlStage, $"PPO against the reward model with the KL penalty (β = {D(_s.PpoKlCoef)})", [DemoLayout.PpoKlDir], PpoKl),
        new(DemoLayout.PpoStage, "PPO against the reward model, unleashed (no KL penalty), guard watching", [DemoLayout.PpoDir], Ppo),
        new(DemoLayout.BonStage, "best-of-N against the same reward model", [DemoLayout.BonDir], BestOfN),
        new(DemoLayout.DpoStage, "DPO on the same rankings", [DemoLayout.DpoDir], Dpo),
        new(DemoLayout.GrpoStage, "GRPO on arithmetic with an exact-answer checker", [DemoLayout.GrpoDir], Grpo),
        new(DemoLayout.SamplesStage, "sample completions before and after each method", [DemoLayout.SamplesFile], Samples),
    ];

    /// <summary>Runs every unfinished stage, then writes the report; returns the exit code.</summary>
    public int Run(bool restart)
    {
        if (restart && Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
        Directory.CreateDirectory(_out);
        var state = DemoState.Load(_out) ?? new DemoState(_seed, _quick, []);
        if (state.Seed != _seed || state.Quick != _quick)
            throw new TrainingException($"{P(DemoLayout.StateFile)}: this directory holds a demo with seed {state.Seed}{(state.Quick ? " (--quick)" : "")}; "
                + "use another --out, the same settings, or --restart to start over");
        state.Save(_out);

        var stages = Stages();
        var total = Stopwatch.StartNew();
        for (int i = 0; i < stages.Count; i++)
        {
            var stage = stages[i];
            string head = $"stage {i + 1}/{stages.Count}: {stage.Name} — {stage.Title}";
            if (state.Stage(stage.Name) is { Status: DemoStage.Done } done)
            {
                _output.WriteLine($"{head}: done earlier ({done.Seconds:F0} s), skipped");
                continue;
            }
            _output.WriteLine();
            _output.WriteLine($"━━ {head}");
            foreach (string owned in stage.Outputs) Delete(P(owned)); // a stage that did not finish starts over
            _commands = [];
            var watch = Stopwatch.StartNew();
            string status = DemoStage.Failed;
            try
            {
                stage.Run();
                status = DemoStage.Done;
            }
            finally
            {
                state.Stages.RemoveAll(s => s.Name == stage.Name);
                state.Stages.Add(new DemoStage(stage.Name, status, Math.Round(watch.Elapsed.TotalSeconds, 1), _commands));
                state.Stages.Sort((a, b) => IndexOf(stages, a.Name).CompareTo(IndexOf(stages, b.Name)));
                state.Save(_out);
            }
            _output.WriteLine($"━━ {stage.Name}: {watch.Elapsed.TotalSeconds:F0} s");
        }
        Report(total.Elapsed);
        return 0;
    }

    private static int IndexOf(IReadOnlyList<Stage> stages, string name)
    {
        for (int i = 0; i < stages.Count; i++) if (stages[i].Name == name) return i;
        return int.MaxValue;
    }

    private static void Delete(string path)
    {
        if (Directory.Exists(path)) Directory.Delete(path, recursive: true);
        else if (File.Exists(path)) File.Delete(path);
    }

    /// <summary>Runs one <c>rlhf</c> verb in-process (its progress bars on the console), records its command line, and fails the stage if it fails.</summary>
    private void Rlhf(params string[] args) => Invoke(args, _output);

    /// <summary>As <see cref="Rlhf"/>, returning the verb's output (e.g. its <c>--json</c> summary) after echoing it.</summary>
    private string RlhfCaptured(params string[] args)
    {
        var captured = new StringWriter();
        Invoke(args, captured);
        _output.Write(captured.ToString());
        return captured.ToString();
    }

    private void Invoke(string[] args, TextWriter output)
    {
        _commands.Add("rlhf " + string.Join(' ', args.Select(Quote)));
        int code = CliApp.Run(args, output, _error);
        if (code == CommandSupport.StoppedExitCode) throw new DemoStoppedException();
        if (code != 0) throw new TrainingException($"`rlhf {string.Join(' ', args.Take(2))}` failed (exit code {code}); see the messages above");
    }

    private static string Quote(string arg) =>
        arg.Length > 0 && arg.All(c => char.IsLetterOrDigit(c) || "-_./:=,+".Contains(c)) ? arg : "'" + arg.Replace("'", "'\\''") + "'";

    // ================================================================ stages

    /// <summary>1. The built-in review corpus (pretraining documents), demonstrations, prompt sets, and a BPE tokenizer.</summary>
    private void Data()
    {
        Rlhf("data", "reviews", "--out", P(DemoLayout.DataDir), "--documents", S(_s.Documents), "--demonstrations", S(_s.Demonstrations),
            "--label-prompts", S(_s.LabelPrompts), "--rl-prompts", S(_s.RlPrompts), "--eval-prompts", S(_s.EvalPrompts), "--seed", Seed);
        Rlhf("tokenizer", "train", "--data", P(DemoLayout.DataDir, "tokenizer.txt"), "--vocab-size", S(_s.VocabSize), "--out", P(DemoLayout.TokenizerDir));
    }

    /// <summary>2. Pretraining: next-token prediction on the corpus, one document per line.</summary>
    private void Pretrain() => Rlhf("pretrain", "--data", P(DemoLayout.DataDir, "corpus.txt"), "--tokenizer", P(DemoLayout.TokenizerDir), "--separator", "\\n",
        "--layers", S(_s.Layers), "--heads", S(_s.Heads), "--dim", S(_s.Dim), "--context", S(_s.Context), "--seq-len", S(_s.Context),
        "--batch", S(_s.PretrainBatch), "--steps", S(_s.PretrainSteps), "--lr", "3e-3", "--warmup", S(Math.Max(1, _s.PretrainSteps / 20)),
        "--eval-interval", S(Math.Max(1, _s.PretrainSteps / 6)), "--eval-batches", "4", "--checkpoint-interval", "0", "--seed", Seed, "--out", P(DemoLayout.BaseDir));

    /// <summary>3. SFT on the demonstrations (loss on the response only).</summary>
    private void Sft() => Rlhf("sft", "--data", P(DemoLayout.DataDir, "sft.jsonl"), "--init", P(DemoLayout.BaseDir), "--epochs", S(_s.SftEpochs), "--batch", "16",
        "--lr", "1e-3", "--warmup", "10", "--eval-batches", "4", "--checkpoint-interval", "0", "--seed", Seed, "--out", P(DemoLayout.SftDir));

    /// <summary>4. Human feedback, simulated: K samples per prompt from the SFT model, ranked by a panel of noisy labelers.</summary>
    private void Label()
    {
        Directory.CreateDirectory(P(DemoLayout.LabelsDir));
        Rlhf("generate", "--model", P(DemoLayout.SftDir), "--prompts", P(DemoLayout.DataDir, "prompts_label.jsonl"), "--template", "--samples", S(_s.K),
            "--max-new-tokens", S(_s.MaxNewTokens), "--batch", "32", "--seed", Seed, "--out", P(DemoLayout.LabelsDir, "groups.jsonl"));
        string json = RlhfCaptured("label", "simulate", "--input", P(DemoLayout.LabelsDir, "groups.jsonl"), "--out", P(DemoLayout.LabelsDir, "rankings.jsonl"),
            "--labelers", S(_s.Labelers), "--temperature", D(_s.LabelTemperature), "--length-bias", D(_s.LabelLengthBias), "--gold", "lexicon", "--seed", Seed, "--json");
        AtomicFile.WriteAllText(P(DemoLayout.LabelsDir, "summary.json"), LastJsonLine(json) + "\n");
    }

    /// <summary>
    /// 5. The reward model: an ensemble trained on the K-wise rankings, each member from the SFT model; told the labelers'
    /// gold and length bias, each member logs the labelers' ceilings on its own held-out pairs.
    /// </summary>
    private void RewardModel() => Rlhf("rm", "train", "--data", P(DemoLayout.LabelsDir, "rankings.jsonl"), "--init", P(DemoLayout.SftDir), "--ensemble", S(_s.RmMembers),
        "--epochs", S(_s.RmEpochs), "--batch", "16", "--lr", "3e-4", "--warmup", "10", "--eval-batches", "8", "--val-fraction", "0.15",
        "--checkpoint-interval", "0", "--gold", "lexicon", "--labeler-length-bias", D(_s.LabelLengthBias), "--seed", Seed, "--out", P(DemoLayout.RmDir));

    /// <summary>6. PPO as InstructGPT runs it: a per-token KL penalty to the SFT model in the reward keeps the policy near it.</summary>
    private void PpoKl() => Rlhf(PpoArgs(DemoLayout.PpoKlDir, _s.PpoKlCoef));

    /// <summary>The <c>rlhf ppo</c> command line of both PPO stages: only the output and the KL coefficient differ.</summary>
    private string[] PpoArgs(string outDir, double klCoef) =>
    [
        "ppo", "--policy", P(DemoLayout.SftDir), "--reward-model", P(DemoLayout.RmDir), "--prompts", P(DemoLayout.DataDir, "prompts_rl.jsonl"), "--out", P(outDir),
        "--iterations", S(_s.PpoIterations), "--batch", S(_s.PpoBatch), "--minibatch", S(Math.Max(1, _s.PpoBatch / 2)), "--epochs", "2",
        "--max-new-tokens", S(_s.PpoMaxNewTokens), "--lr", S(_s.PpoLr), "--kl-coef", D(klCoef), "--gold", "lexicon", "--guard-observe",
        "--sample-every", S(Math.Max(1, _s.PpoIterations / 10)), "--checkpoint-interval", "0", "--seed", Seed,
    ];

    /// <summary>7. PPO with no KL penalty, so over-optimisation shows; the guard watches (keeps best/, marks where it would stop).</summary>
    private void Ppo()
    {
        Rlhf(PpoArgs(DemoLayout.PpoDir, 0));
        string json = RlhfCaptured("guard", "replay", "--metrics", P(DemoLayout.PpoDir), "--json");
        AtomicFile.WriteAllText(P(DemoLayout.PpoDir, "guard.json"), LastJsonLine(json) + "\n");
    }

    /// <summary>8. Best-of-N with the same reward model, and its reward-vs-KL curve.</summary>
    private void BestOfN() => Rlhf("bon", "--policy", P(DemoLayout.SftDir), "--reward-model", P(DemoLayout.RmDir), "--prompts", P(DemoLayout.DataDir, "prompts_eval.jsonl"),
        "--n", S(_s.BonN), "--curve", "--gold", "lexicon", "--max-new-tokens", S(_s.MaxNewTokens), "--seed", Seed, "--out", P(DemoLayout.BonDir));

    /// <summary>9. DPO from the SFT model on the same rankings, with held-out KL and gold.</summary>
    private void Dpo() => Rlhf("dpo", "--policy", P(DemoLayout.SftDir), "--data", P(DemoLayout.LabelsDir, "rankings.jsonl"), "--epochs", S(_s.DpoEpochs), "--batch", "8",
        "--lr", "2e-5", "--beta", "0.1", "--kl-prompts", S(_s.EvalPrompts), "--kl-max-new-tokens", S(_s.MaxNewTokens), "--gold", "lexicon",
        "--checkpoint-interval", "0", "--seed", Seed, "--out", P(DemoLayout.DpoDir));

    /// <summary>
    /// 10. GRPO on addition: its own tiny model, pretrained on worked column-by-column sums without the <c>#### answer</c>
    /// line, SFT on 16 examples with the line, then RL against the exact-answer checker (scripts/grpo-arithmetic.sh is the
    /// longer 2–3 digit version). The tokenizer is trained on digit-free text, so every digit stays one token.
    /// </summary>
    private void Grpo()
    {
        string G(params string[] parts) => P([DemoLayout.GrpoDir, .. parts]);
        Directory.CreateDirectory(G());
        string[] tasks = ["tasks", "generate", "--kind", "addition", "--digits", _s.GrpoDigits, "--seed", Seed];
        string count = S(_s.GrpoProblems), heldOut = S(_s.GrpoHeldOut), context = S(_s.GrpoContext);
        Rlhf([.. tasks, "--count", count, "--heldout-count", heldOut, "--out", G("train.jsonl"), "--heldout", G("heldout.jsonl")]);
        Rlhf([.. tasks, "--count", count, "--heldout-count", heldOut, "--format", "chat", "--worked", "--out", G("corpus.txt"), "--heldout", G("heldout-worked.txt")]);
        Rlhf([.. tasks, "--count", "16", "--format", "sft", "--worked", "--out", G("sft.jsonl")]);
        Rlhf([.. tasks, "--count", S(Math.Min(500, _s.GrpoProblems)), "--format", "digitless", "--worked", "--out", G("tokenizer.txt")]);
        Rlhf("tokenizer", "train", "--data", G("tokenizer.txt"), "--vocab-size", "300", "--out", G("tok"));
        Rlhf("pretrain", "--data", G("corpus.txt"), "--tokenizer", G("tok"), "--separator", "\\n\\n", "--layers", "3", "--heads", "4", "--dim", "128",
            "--context", context, "--batch", "16", "--seq-len", context, "--steps", S(_s.GrpoPretrainSteps), "--lr", "3e-3", "--warmup", S(Math.Max(1, _s.GrpoPretrainSteps / 15)),
            "--val-fraction", "0", "--eval-batches", "0", "--checkpoint-interval", "0", "--seed", Seed, "--out", G("base"));
        Rlhf("sft", "--data", G("sft.jsonl"), "--init", G("base"), "--steps", "30", "--batch", "8", "--lr", "1e-3", "--warmup", "0",
            "--val-fraction", "0", "--eval-batches", "0", "--seed", Seed, "--out", G("sft"));
        Rlhf("grpo", "--policy", G("sft"), "--prompts", G("train.jsonl"), "--eval-prompts", G("heldout.jsonl"), "--reward", "final-line",
            "--group", "8", "--batch", "16", "--lr", "2e-4", "--min-lr", "2e-4", "--warmup", "5", "--temperature", "0.5", "--beta", "0",
            "--max-new-tokens", S(_s.GrpoMaxNewTokens), "--eval-interval", S(Math.Max(1, _s.GrpoIterations / 6)), "--iterations", S(_s.GrpoIterations),
            "--checkpoint-interval", "0", "--seed", Seed, "--out", G("run"));
    }

    /// <summary>11. The same held-out prompts answered by each model: SFT, PPO (guard's best and last), best-of-N, DPO.</summary>
    private void Samples() => DemoSamples.Write(_out, _seed, _s.MaxNewTokens, _quick ? 4 : 6, _output);

    // ================================================================ report

    /// <summary>The summary table on the console and <c>report.html</c> from what the stages wrote (as <c>rlhf report demo</c>).</summary>
    private void Report(TimeSpan elapsed)
    {
        _output.WriteLine();
        ReportCommand.WriteDemo(_out, _output);
        _output.WriteLine($"demo: this run {elapsed.TotalMinutes:F1} min; open {Path.Combine(_out, DemoLayout.ReportFile)} in a browser");
    }

    /// <summary>The last line of a verb's output that is a JSON object (its <c>--json</c> summary).</summary>
    private static string LastJsonLine(string output) =>
        output.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith('{') && l.EndsWith('}'))
        ?? throw new TrainingException("expected a JSON summary line in the verb's output, found none");
}
