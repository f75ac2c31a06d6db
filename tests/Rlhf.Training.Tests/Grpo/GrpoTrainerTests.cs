using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Grpo;
using Rlhf.Training.Rl;
using Rlhf.Training.Sft;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Metrics;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Grpo;

public sealed class GrpoTrainerTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static readonly BpeTokenizer Tok = TrainingFixtures.Tokenizer;

    /// <summary>The toy task's checker: the whole response must be the answer.</summary>
    private sealed class WholeResponseChecker : AnswerChecker
    {
        public override string Name => "whole-response";

        public override string? Extract(string completion, out string? problem)
        {
            problem = string.IsNullOrWhiteSpace(completion) ? "empty response" : null;
            return problem is null ? completion.Trim() : null;
        }
    }

    /// <summary>Reward = response length in characters / 10: dense, so every iteration updates the policy.</summary>
    private sealed class LengthReward : IRewardFunction
    {
        public string Name => "length";

        public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch) => [.. batch.Select(r => new RewardOutcome(r.Completion.Length / 10f))];
    }

    /// <summary>NaN for the first sample of every batch, and throws on its <paramref name="throwOnCall"/>-th call.</summary>
    private sealed class FlakyReward(int throwOnCall) : IRewardFunction
    {
        private int _calls;

        public string Name => "flaky";

        public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
        {
            if (++_calls == throwOnCall) throw new InvalidOperationException("reward server exploded");
            return [.. batch.Select((r, i) => new RewardOutcome(i == 0 ? float.NaN : r.Completion.Length / 10f))];
        }
    }

    /// <summary>Prompts with answers for the resume and bad-sample runs (their rewards do not use the answers).</summary>
    private static List<RlPrompt> ToyPrompts() =>
        [.. new[] { "cat", "dog" }.SelectMany(n => new[] { $"is it a {n} {n} {n} {n}?", $"a {n} {n} {n} {n} sat?" }.Select(q => new RlPrompt(q, n == "cat" ? "yes" : "no")))];

    private GrpoConfig Config(string dir) => new()
    {
        OutDir = dir, Model = TrainingFixtures.TinyModel(32), BatchSize = 2, Group = 3, MaxSteps = 4, UpdateEpochs = 2, MiniBatchSize = 4,
        Beta = 0.1f, LearningRate = 1e-2f, MaxNewTokens = 5, EvalInterval = 2, CheckpointInterval = 0, Seed = 5,
    };

    [Fact]
    public void Tiny_grpo_run_on_a_toy_verifiable_task_raises_accuracy_decisively()
    {
        // toy task: the checker accepts exactly "yes". A tokenizer of the toy text makes " yes" and " no" one token
        // each; the warm start (SFT) answers "no" twice as often as "yes", so greedy accuracy starts at 0% and sampled
        // accuracy near 33%: GRPO has to overturn that prior from the checker's reward alone.
        List<RlPrompt> prompts = [new("is it a cat cat cat cat?", "yes"), new("a cat cat cat cat sat?", "yes")];
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat(string.Concat(prompts.Select(p => $"User: {p.Prompt}\nAssistant: yes no\n")), 10)), 256 + 40 + 1);
        var template = new ChatTemplate(tok);
        var sft = prompts.SelectMany(p => new[] { "yes", "no", "no" }.Select(a => SftData.Tokenize(new SftExample(p.Prompt, a), template, p.Prompt))).ToList();
        var sftConfig = new SftConfig
        {
            OutDir = _tmp.File("sft"), Model = new GptConfig(2, 4, 32, 32, tok.VocabSize), BatchSize = 6, MaxSteps = 30, LearningRate = 1e-2f,
            WarmupSteps = 2, EvalBatches = 0, ValFraction = 0, Seed = 2,
        };
        new SftTrainer(sftConfig, tok, sft, log: TextWriter.Null, progress: TrainingFixtures.Quiet).Run();

        var config = new GrpoConfig
        {
            OutDir = _tmp.File("grpo"), InitCheckpoint = _tmp.File("sft"), BatchSize = 2, Group = 8, MaxSteps = 30, LearningRate = 3e-3f,
            MaxNewTokens = 6, EvalInterval = 30, CheckpointInterval = 0, Seed = 3,
        };
        var result = new GrpoTrainer(config, tok, prompts, prompts, new WholeResponseChecker(), log: TextWriter.Null, progress: TrainingFixtures.Quiet).Run();
        var rewards = MetricsReader.Read(_tmp.File("grpo/metrics.jsonl")).Skip(1).Select(e => e.Get("reward")).ToList();
        Assert.True(result.InitialAccuracy == 0 && result.LastAccuracy == 1, $"accuracy {result.InitialAccuracy:P0} → {result.LastAccuracy:P0}");
        Assert.True(rewards.Take(3).Average() < 0.4 && rewards.TakeLast(5).Average() > 0.75, string.Join(", ", rewards));
    }

    [Fact]
    public void Resume_after_cancellation_is_bit_identical_to_the_uninterrupted_run()
    {
        string a = _tmp.File("a"), b = _tmp.File("b");
        var prompts = ToyPrompts();
        GrpoTrainer Trainer(string dir, Action<int>? after = null) =>
            new(Config(dir), Tok, prompts, prompts[..3], new LengthReward(), new WholeResponseChecker(), TextWriter.Null, TrainingFixtures.Quiet) { AfterIteration = after };
        var full = Trainer(a).Run();
        Assert.Equal(4, full.Iteration);

        using var cts = new CancellationTokenSource();
        var stopped = Trainer(b, i => { if (i == 2) cts.Cancel(); }).Run(cancel: cts.Token);
        Assert.True(stopped.Stopped);
        Assert.Equal(2, stopped.Iteration);
        var resumed = Trainer(b).Run(resume: true);
        Assert.Equal(4, resumed.Iteration);

        TrainingFixtures.AssertSameMetrics(Path.Combine(a, TrainingSetup.MetricsFile), Path.Combine(b, TrainingSetup.MetricsFile));
        string ca = Path.Combine(a, RunLayout.CheckpointDirectory), cb = Path.Combine(b, RunLayout.CheckpointDirectory);
        TrainingFixtures.AssertSameTensors(Path.Combine(ca, HfCheckpoint.WeightsFile), Path.Combine(cb, HfCheckpoint.WeightsFile));
        TrainingFixtures.AssertSameTensors(Path.Combine(ca, TrainingCheckpoint.OptimizerFile), Path.Combine(cb, TrainingCheckpoint.OptimizerFile));

        var m = MetricsReader.Read(Path.Combine(a, TrainingSetup.MetricsFile));
        Assert.Equal([0, 1, 2, 3, 4], m.Select(e => e.Step));
        Assert.Equal(0, m[1].Get(RlMetricNames.Kl)); // before the first update the policy is the reference
        Assert.True(m[4].Get(RlMetricNames.Kl) is double kl && kl != 0, "after updates the policy left the reference (kl logged, non-zero)");
        Assert.True(m[4].Get(RlMetricNames.ResponseLength) is > 0, "response_length logged and positive");
        Assert.True(m[2].Values.ContainsKey(RlMetricNames.Accuracy) && !m[3].Values.ContainsKey(RlMetricNames.Accuracy));
    }

    [Fact]
    public void Bad_samples_and_a_failing_reward_are_skipped_and_logged_never_fatal()
    {
        var log = new StringWriter();
        var config = Config(_tmp.File("flaky")) with { MaxSteps = 3, EvalBatches = 0 };
        var result = new GrpoTrainer(config, Tok, ToyPrompts(), null, new FlakyReward(throwOnCall: 2), null, log,
            TrainingFixtures.MessagesTo(log)).Run();
        Assert.Equal(3, result.Iteration);
        var m = MetricsReader.Read(_tmp.File("flaky/metrics.jsonl"));
        Assert.Equal([1.0, 6, 1], m.Select(e => e.Get("skipped")));
        Assert.False(m[1].Values.ContainsKey("loss")); // nothing left to train on in iteration 2
        Assert.Contains("reward flaky failed: InvalidOperationException: reward server exploded", log.ToString());
        Assert.Contains("sample 0 skipped: reward NaN", log.ToString());
        var weights = Rlhf.Tensors.Serialization.Safetensors.Load(Path.Combine(result.CheckpointDirectory, HfCheckpoint.WeightsFile));
        Assert.All(weights.Tensors.Values, t => Assert.All(t.ToArray(), v => Assert.True(float.IsFinite(v))));
    }

    [Fact]
    public void Max_wall_time_stops_cleanly_with_a_checkpoint_that_resumes()
    {
        string dir = _tmp.File("wall");
        var prompts = ToyPrompts();
        GrpoTrainer Trainer(GrpoConfig c) => new(c, Tok, prompts, prompts[..3], new LengthReward(), new WholeResponseChecker(), TextWriter.Null, TrainingFixtures.Quiet);
        var stopped = Trainer(Config(dir) with { MaxWallTime = TimeSpan.Zero }).Run();
        TrainingFixtures.AssertStoppedAtZeroWithCheckpoint(dir, stopped.Stopped, stopped.Iteration);
        var resumed = Trainer(Config(dir)).Run(resume: true);
        Assert.False(resumed.Stopped);
        Assert.Equal(4, resumed.Iteration);
    }
}
