using System.CommandLine;
using Rlhf.Models.Checkpoints;
using Rlhf.Training.Common;
using Rlhf.Training.Grpo;
using Rlhf.Training.Rl;
using Rlhf.Cli.Judges;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf grpo</c>: GRPO / RLOO against a verifiable reward (<see cref="GrpoTrainer"/>).</summary>
public static class GrpoCommand
{
    /// <summary>Builds the <c>grpo</c> verb.</summary>
    public static Command Create()
    {
        var defaults = new GrpoConfig { OutDir = "" };
        var training = new TrainingOptions(defaults, "Iterations (each: --batch prompts × --group samples, then the policy update).",
            "Unused by GRPO (held-out prompts come from --eval-prompts).", frozenModels: true);
        training.Steps.Aliases.Add("--iterations");
        training.Batch.Description = "Prompts per iteration.";
        training.EvalInterval.Description = "Held-out greedy exact-match accuracy every N iterations (also at 0 and at the end).";
        training.EvalBatches.Description = "0 turns held-out evaluation off; otherwise all --eval-prompts are evaluated.";
        var policy = new Option<string?>("--policy") { Description = "Model directory to train (HF GPT-2 layout, e.g. an SFT run); also the KL reference. Required unless --resume." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer directory (default: the --policy directory, or the checkpoint's with --resume)." };
        var prompts = new Option<string>("--prompts") { Description = "Training prompts, JSONL {\"prompt\": ..., \"answer\": ...} (rlhf tasks generate). Required unless --resume." };
        var evalPrompts = new Option<string?>("--eval-prompts") { Description = "Held-out prompts with answers for the accuracy metric." };
        var reward = new Option<string>("--reward")
        {
            Description = "boxed (exact \\boxed{} answer), final-line (exact '#### answer'), numeric (number within --tolerance), format-boxed, format-final-line, "
                + "judge:local:<model dir> (one of our models answers yes/no), judge:<http(s) endpoint>#<model> (OpenAI-compatible chat API; key from OPENAI_API_KEY), "
                + "or your own reward: an http(s):// URL (POSTed a JSON batch of {prompt, response, answer}, answers a list of numbers) or cmd:<program> (one JSON line per batch each way; --judge-timeout/--judge-retries apply; a failed batch is skipped, never scored 0).",
            DefaultValueFactory = _ => "final-line",
        };
        var accuracy = new Option<string?>("--accuracy") { Description = "Checker for held-out accuracy: boxed, final-line or numeric (default: --reward when it is a checker, else numeric)." };
        var tolerance = new Option<double>("--tolerance") { Description = "Absolute tolerance of the numeric checker.", DefaultValueFactory = _ => 1e-6 };
        var judgeTimeout = new Option<double>("--judge-timeout") { Description = "Seconds per judge request.", DefaultValueFactory = _ => 30 }.Require(v => v > 0, "--judge-timeout must be positive.");
        var judgeRetries = new Option<int>("--judge-retries") { Description = "Retries of a failed judge request (then the sample scores 0).", DefaultValueFactory = _ => 2 }.Require(v => v >= 0, "--judge-retries must be ≥ 0.");
        var group = new Option<int>("--group") { Description = "Samples per prompt, G.", DefaultValueFactory = _ => defaults.Group };
        var advantage = new Option<string>("--advantage") { Description = "group: (r − mean)/std over the group (GRPO); rloo: r − mean of the other samples (RLOO; with --beta > 0 the sequence KL is subtracted from the reward first, Ahmadian et al. 2024, instead of a k3 loss term).", DefaultValueFactory = _ => "group" };
        advantage.AcceptOnlyFromAmong("group", "rloo");
        var noStd = new Option<bool>("--no-std") { Description = "Group advantage without the std division (Dr. GRPO)." };
        var clip = new Option<float>("--clip") { Description = "Clip range ε of the ratio.", DefaultValueFactory = _ => defaults.ClipEpsilon };
        var clipHigh = new Option<float?>("--clip-high") { Description = "Upper clip range (default: --clip; DAPO uses 0.28)." };
        var beta = new Option<float>("--beta") { Description = "KL coefficient β of the k3 penalty to the reference (0 = off).", DefaultValueFactory = _ => defaults.Beta };
        var epochs = new Option<int>("--update-epochs") { Description = "Policy updates μ per iteration.", DefaultValueFactory = _ => defaults.UpdateEpochs };
        var miniBatch = new Option<int>("--mini-batch") { Description = "Rows per forward/backward chunk (memory only).", DefaultValueFactory = _ => defaults.MiniBatchSize };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature of the rollouts.", DefaultValueFactory = _ => defaults.Temperature };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most tokens per response.", DefaultValueFactory = _ => defaults.MaxNewTokens };

        var eosPenalty = CommandSupport.MissingEosPenaltyOption();
        var aggregation = new Option<string>("--loss-aggregation")
        {
            Description = "How per-token losses are averaged: token-mean (Σ over the batch's tokens / their count; DAPO, TRL 'dapo'), "
                + "sequence-mean (mean per response, then per group, then over groups; DeepSeekMath eq. 3, TRL 'grpo'), "
                + "constant (Σ / (responses × --max-new-tokens); Dr. GRPO, TRL 'dr_grpo').",
            DefaultValueFactory = _ => "token-mean",
        };
        aggregation.AcceptOnlyFromAmong(AggregationNames.Keys.ToArray());
        var chatTemplate = CommandSupport.ChatTemplateOption();

        var command = new Command("grpo", "GRPO / RLOO with a verifiable reward: G samples per prompt through the shared rollout sampler, group-relative advantages, "
            + "clipped token-level loss (DAPO aggregation), optional k3 KL to the reference, held-out exact-match accuracy, metrics.jsonl, checkpoints with exact --resume.")
        {
            policy, tokenizer, prompts, evalPrompts, reward, accuracy, tolerance, judgeTimeout, judgeRetries,
            group, advantage, noStd, clip, clipHigh, beta, epochs, miniBatch, temperature, maxNew, eosPenalty, aggregation, chatTemplate,
        };
        training.AddTo(command);
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, error) =>
        {
            string outDir = parse.GetValue(training.Out)!;
            bool resume = parse.GetValue(training.Resume);
            GrpoConfig? saved = resume ? TrainingCheckpoint.ReadState<GrpoConfig, GrpoState>(outDir, GrpoTrainer.Kind).State.Config : null;
            if (!resume) TrainingSetup.CheckFresh(outDir);
            string? policyDir = parse.GetValue(policy) is { } p ? TrainingCheckpoint.ResolveModelDirectory(p) : null;
            if (!resume && policyDir is null) throw new TrainingException("--policy is required: the model directory to train (e.g. an SFT run's checkpoint/)");
            var tok = CommandSupport.LoadTokenizer(parse.GetValue(tokenizer) ?? (resume ? TrainingCheckpoint.Find(outDir)! : policyDir!));

            GrpoConfig Grpo(GrpoConfig c, bool onlyGiven)
            {
                bool Use(Option o) => !onlyGiven || parse.Given(o);
                if (Use(group)) c = c with { Group = parse.GetValue(group) };
                if (Use(advantage)) c = c with { Advantage = parse.GetValue(advantage) == "rloo" ? AdvantageKind.Rloo : AdvantageKind.Group };
                if (Use(noStd)) c = c with { ScaleByStd = !parse.GetValue(noStd) };
                if (Use(clip)) c = c with { ClipEpsilon = parse.GetValue(clip) };
                if (Use(clipHigh)) c = c with { ClipEpsilonHigh = parse.GetValue(clipHigh) };
                if (Use(beta)) c = c with { Beta = parse.GetValue(beta) };
                if (Use(epochs)) c = c with { UpdateEpochs = parse.GetValue(epochs) };
                if (Use(miniBatch)) c = c with { MiniBatchSize = parse.GetValue(miniBatch) };
                if (Use(temperature)) c = c with { Temperature = parse.GetValue(temperature) };
                if (Use(maxNew)) c = c with { MaxNewTokens = parse.GetValue(maxNew) };
                if (Use(eosPenalty)) c = c with { MissingEosPenalty = parse.GetValue(eosPenalty) };
                if (Use(aggregation)) c = c with { LossAggregation = AggregationNames[parse.GetValue(aggregation)!] };
                if (Use(reward)) c = c with { Reward = parse.GetValue(reward)! };
                if (Use(accuracy)) c = c with { Accuracy = parse.GetValue(accuracy) };
                if (Use(tolerance)) c = c with { Tolerance = parse.GetValue(tolerance) };
                if (Use(prompts)) c = c with { Data = parse.GetValue(prompts) is { } path ? [path] : null };
                if (Use(evalPrompts)) c = c with { EvalPrompts = parse.GetValue(evalPrompts) };
                if (Use(chatTemplate)) c = c with { ChatTemplateName = parse.GetValue(chatTemplate) };
                return c;
            }
            bool onlyGiven = saved is not null;
            var runConfig = Grpo(training.Apply(parse, saved ?? defaults with { InitCheckpoint = policyDir }, onlyGiven), onlyGiven);
            training.Check(runConfig, (nameof(GrpoConfig.Group), group), (nameof(GrpoConfig.ClipEpsilon), clip), (nameof(GrpoConfig.ClipEpsilonHigh), clipHigh),
                (nameof(GrpoConfig.Beta), beta), (nameof(GrpoConfig.UpdateEpochs), epochs), (nameof(GrpoConfig.MiniBatchSize), miniBatch),
                (nameof(GrpoConfig.Temperature), temperature), (nameof(GrpoConfig.MaxNewTokens), maxNew), (nameof(GrpoConfig.MissingEosPenalty), eosPenalty),
                (nameof(GrpoConfig.Tolerance), tolerance));
            string promptsPath = runConfig.Data?.SingleOrDefault() ?? throw new TrainingException("--prompts is required: the training prompts JSONL");
            var rewardFn = CreateReward(runConfig.Reward, runConfig.Tolerance, TimeSpan.FromSeconds(parse.GetValue(judgeTimeout)), parse.GetValue(judgeRetries));
            using var rewardResources = rewardFn as IDisposable; // an external scorer's process or HTTP client
            string accuracySpec = runConfig.Accuracy ?? (rewardFn is AnswerChecker ? runConfig.Reward : "numeric");
            if (accuracySpec is not ("boxed" or "final-line" or "numeric")) throw new TrainingException($"--accuracy '{accuracySpec}': expected an answer checker: boxed, final-line or numeric");
            var accuracyFn = CreateReward(accuracySpec, runConfig.Tolerance, TimeSpan.FromSeconds(1), 0);
            bool needsAnswers = rewardFn is AnswerChecker or LlmJudgeReward;
            var train = RlPrompt.Load(CommandSupport.ExistingFile(promptsPath), requireAnswer: needsAnswers);
            var held = runConfig.EvalPrompts is { } e ? RlPrompt.Load(CommandSupport.ExistingFile(e), requireAnswer: true) : null;
            output.WriteLine($"grpo: {train.Count} prompts from {promptsPath}" + (held is null ? "" : $", {held.Count} held-out from {runConfig.EvalPrompts}"));
            using var stop = new StopSignal(error);
            var result = new GrpoTrainer(runConfig, tok, train, held, rewardFn, accuracyFn, output, CommandSupport.Progress(output)).Run(resume, stop.Token);
            return result.Stopped ? CommandSupport.StoppedExitCode : 0;
        }));
        return command;
    }

    /// <summary>The <c>--loss-aggregation</c> names.</summary>
    private static readonly Dictionary<string, LossAggregationKind> AggregationNames = new()
    {
        ["token-mean"] = LossAggregationKind.TokenMean, ["sequence-mean"] = LossAggregationKind.SequenceMean, ["constant"] = LossAggregationKind.Constant,
    };

    /// <summary>The reward function named by <paramref name="spec"/> (see <c>--reward</c>).</summary>
    internal static IRewardFunction CreateReward(string spec, double tolerance, TimeSpan judgeTimeout, int judgeRetries)
    {
        switch (spec)
        {
            case "boxed": return new BoxedAnswerChecker();
            case "final-line": return new FinalAnswerLineChecker();
            case "numeric": return new NumericMatch(tolerance);
            case "format-boxed": return FormatReward.Boxed();
            case "format-final-line": return FormatReward.FinalLine();
        }
        if (ExternalScorerSpec.IsExternal(spec))
            return CommandSupport.CreateExternalReward("--reward", spec, new ExternalScorerPolicy(judgeTimeout, judgeRetries, ExternalScorerPolicy.Default.RetryDelay));
        if (spec.StartsWith("judge:local:", StringComparison.Ordinal))
        {
            string dir = TrainingCheckpoint.ResolveModelDirectory(spec["judge:local:".Length..]);
            try { return new LlmJudgeReward(new InProcessJudge(CausalLmCheckpoint.Load(dir), CommandSupport.LoadTokenizer(dir), spec)); }
            catch (ArgumentException e) { throw new TrainingException($"--reward '{spec}': {e.Message}", e); }
        }
        if (spec.StartsWith("judge:", StringComparison.Ordinal))
        {
            string rest = spec["judge:".Length..];
            int hash = rest.LastIndexOf('#');
            if (hash <= 0 || hash == rest.Length - 1 || !Uri.TryCreate(rest[..hash], UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
                throw new TrainingException($"--reward '{spec}': expected judge:<http(s) endpoint>#<model>, e.g. judge:http://127.0.0.1:8000/v1#qwen2.5-7b");
            return new LlmJudgeReward(new OpenAiJudge(endpoint, rest[(hash + 1)..], Environment.GetEnvironmentVariable("OPENAI_API_KEY"), judgeTimeout, judgeRetries));
        }
        throw new TrainingException($"--reward '{spec}': expected boxed, final-line, numeric, format-boxed, format-final-line, judge:local:<dir>, judge:<endpoint>#<model>, an http(s):// URL or cmd:<program>");
    }
}
