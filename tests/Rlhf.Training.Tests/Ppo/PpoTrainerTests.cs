using Rlhf.Models.Checkpoints;
using Rlhf.Training.Common;
using Rlhf.Training.Ppo;
using Rlhf.Training.Rl;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Metrics;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Ppo;

public sealed class PpoTrainerTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private PpoTrainer Trainer(PpoConfig config, IRewardFunction reward, ulong seed = 3, IRunGuard? guard = null, Action<int>? after = null)
    {
        var (policy, reference) = PpoTestKit.Models(3);
        if (seed != 3) policy = new Rlhf.Models.Gpt(policy.Config, seed); // a different start: a resume must replace it
        return new PpoTrainer(config, PpoTestKit.Tok, policy, reference, reward, PpoTestKit.Prompts, TextWriter.Null, TrainingFixtures.Quiet)
            { Guard = guard, AfterIteration = after };
    }

    [Fact]
    public void Resume_equals_an_uninterrupted_run_bit_for_bit_with_guard_state()
    {
        var straightGuard = new FakeGuard(bestAt: 3, stopAt: 99);
        Trainer(PpoTestKit.Config(_tmp.File("straight"), 4), new SayTokenReward(), guard: straightGuard).Run();

        var cfg = PpoTestKit.Config(_tmp.File("resumed"), 4);
        Assert.Throws<SimulatedCrash>(() => Trainer(cfg, new SayTokenReward(), guard: new FakeGuard(3, 99), after: i => { if (i == 3) throw new SimulatedCrash(); }).Run());
        var resumedGuard = new FakeGuard(bestAt: 3, stopAt: 99);
        var result = Trainer(cfg, new SayTokenReward(), seed: 99, guard: resumedGuard).Run(resume: true); // other init: the checkpoint must win
        Assert.Equal(4, result.Iteration);
        Assert.Equal(4, resumedGuard.Observed);        // 2 restored from the checkpoint (saved after iteration 2) + 2 new
        Assert.Equal([3, 4], resumedGuard.Iterations);
        Assert.Equal(3, result.BestIteration);

        foreach (string file in new[] { "model.safetensors", "critic/model.safetensors", "optimizer.safetensors", "critic_optimizer.safetensors" })
            TrainingFixtures.AssertSameTensors(_tmp.File($"straight/checkpoint/{file}"), _tmp.File($"resumed/checkpoint/{file}"));
        TrainingFixtures.AssertSameTensors(_tmp.File("straight/best/model.safetensors"), _tmp.File("resumed/best/model.safetensors"));
        AssertSameMetrics(_tmp.File("straight/metrics.jsonl"), _tmp.File("resumed/metrics.jsonl"));
        Assert.Equal(File.ReadAllText(_tmp.File("straight/samples.jsonl")), File.ReadAllText(_tmp.File("resumed/samples.jsonl")));
        // and a changed setting is refused
        var ex = Assert.Throws<TrainingException>(() => Trainer(cfg with { MaxSteps = 6, ClipRange = 0.3f }, new SayTokenReward()).Run(resume: true));
        Assert.Contains("clip_range", ex.Message);
    }

    [Fact]
    public void Grad_checkpoint_and_bf16_frozen_dtype_reach_the_models()
    {
        var (policy, reference) = PpoTestKit.Models(3);
        var rm = new Rlhf.Models.RewardModel(new Rlhf.Models.Gpt(policy.Config, seed: 5));
        var heldOut = new Rlhf.Models.RewardModel(new Rlhf.Models.Gpt(policy.Config, seed: 6));
        var cfg = PpoTestKit.Config(_tmp.File("frozen"), 1) with { GradientCheckpointing = true, FrozenDtype = Rlhf.Tensors.Dtype.BF16 };
        var result = new PpoTrainer(cfg, PpoTestKit.Tok, policy, reference, new RewardModelReward([rm], PpoTestKit.Tok, "rm"), PpoTestKit.Prompts, TextWriter.Null,
            TrainingFixtures.Quiet) { HeldOut = new RewardModelReward([heldOut], PpoTestKit.Tok, "held"), CriticInit = rm.Trunk }.Run();
        Assert.Equal(1, result.Iteration);
        Assert.True(policy.GradientCheckpointing);
        Assert.Null(policy.FrozenDtype);
        Assert.Equal(Rlhf.Tensors.Dtype.BF16, reference.FrozenDtype);
        Assert.Equal(Rlhf.Tensors.Dtype.BF16, rm.Trunk.FrozenDtype);      // frozen after the critic copied it
        Assert.Equal(Rlhf.Tensors.Dtype.BF16, heldOut.Trunk.FrozenDtype);
        Assert.True(double.IsFinite(result.LastProxyReward));
    }

    [Fact]
    public void Guard_keeps_the_best_checkpoint_and_crops_the_run()
    {
        var guard = new FakeGuard(bestAt: 2, stopAt: 3);
        var result = Trainer(PpoTestKit.Config(_tmp.File("g"), 10) with { CheckpointInterval = 0 }, new SayTokenReward(), guard: guard).Run();
        Assert.Equal(3, result.Iteration);
        Assert.Equal(2, result.BestIteration);
        Assert.Contains("fake monitor fired", result.GuardStop);
        var entries = MetricsReader.Read(_tmp.File("g/metrics.jsonl"));
        Assert.Equal([1, 2, 3], entries.Select(e => e.Step));
        Assert.Equal(1, entries[1].Get("is_best"));
        Assert.Equal(1, entries[2].Get("guard_stop"));
        Assert.Null(entries[1].Get("guard_stop"));
        Assert.Contains("\"iteration\": 2", File.ReadAllText(_tmp.File("g/best/best.json")));
        HfCheckpoint.Load(_tmp.File("g/best"), out var extra);    // a usable model directory
        Assert.True(File.Exists(_tmp.File("g/best/critic/model.safetensors")));
        Assert.True(File.Exists(_tmp.File("g/best/tokenizer.json")));
        // resuming a cropped run does not train further
        var again = Trainer(PpoTestKit.Config(_tmp.File("g"), 10) with { CheckpointInterval = 0 }, new SayTokenReward(), guard: new FakeGuard(2, 3)).Run(resume: true);
        Assert.Equal(3, again.Iteration);
        Assert.NotNull(again.GuardStop);
    }

    [Fact]
    public void Non_finite_rewards_are_dropped_and_logged_and_the_run_survives()
    {
        var result = Trainer(PpoTestKit.Config(_tmp.File("nan"), 3), new PoisonedReward(period: 3)).Run();
        Assert.Equal(3, result.Iteration);
        var entries = MetricsReader.Read(_tmp.File("nan/metrics.jsonl"));
        Assert.All(entries, e => Assert.True(e.Get("skipped_samples") > 0));
        Assert.All(entries, e => Assert.True(double.IsFinite(e.Get(RlMetricNames.ProxyReward)!.Value) && double.IsFinite(e.Get("policy_loss")!.Value)));
        var weights = Rlhf.Tensors.Serialization.Safetensors.Load(_tmp.File("nan/checkpoint/model.safetensors"));
        Assert.All(weights.Tensors.Values, t => Assert.All(t.ToArray(), v => Assert.True(float.IsFinite(v))));

        // every sample poisoned: nothing to learn from, but the run still ends normally
        var all = Trainer(PpoTestKit.Config(_tmp.File("nan-all"), 2), new PoisonedReward(1, all: true)).Run();
        Assert.Equal(2, all.Iteration);
        var last = MetricsReader.Read(_tmp.File("nan-all/metrics.jsonl"))[^1];
        Assert.Equal(8, last.Get("skipped_samples"));
        Assert.True(double.IsNaN(last.Get("policy_loss")!.Value));

        // ... but three such iterations in a row end the run with a clear error, not a "successful" NaN run
        var e = Assert.Throws<TrainingException>(() => Trainer(PpoTestKit.Config(_tmp.File("nan-all-long"), 5), new PoisonedReward(1, all: true)).Run());
        Assert.Contains("every sample of 3 iterations in a row (up to iteration 3) was dropped", e.Message);
        Assert.Equal(2, MetricsReader.Read(_tmp.File("nan-all-long/metrics.jsonl")).Count);
    }

    [Fact]
    public void Shared_critic_adaptive_kl_and_ptx_run_and_log_their_terms()
    {
        var cfg = PpoTestKit.Config(_tmp.File("shared"), 2) with { SharedCritic = true, KlTarget = 0.5f, KlHorizon = 100, PtxCoef = 0.5f, PtxSeqLen = 16, EntropyCoef = 0.01f, RewardClip = 0.5f };
        var (policy, reference) = PpoTestKit.Models();
        var trainer = new PpoTrainer(cfg, PpoTestKit.Tok, policy, reference, new SayTokenReward(), PpoTestKit.Prompts, TextWriter.Null, TrainingFixtures.Quiet)
        {
            PtxTokens = PpoTestKit.Tok.Encode(TrainingFixtures.Text(2)),
            Gold = new GoldScorerReward(new Rlhf.Training.Scoring.LexiconSentimentScorer()),
            HeldOut = new SayTokenReward(),
        };
        trainer.Run();
        var entries = MetricsReader.Read(_tmp.File("shared/metrics.jsonl"));
        Assert.All(entries, e => Assert.True(double.IsFinite(e.Get("ptx_loss")!.Value) && double.IsFinite(e.Get(RlMetricNames.GoldReward)!.Value)
            && double.IsFinite(e.Get(RlMetricNames.Entropy)!.Value) && e.Get(RlMetricNames.HeldOutReward) is double));
        Assert.NotEqual(0.01, entries[^1].Get("kl_coef")!.Value);  // the adaptive controller moved β
        Assert.False(Directory.Exists(_tmp.File("shared/checkpoint/critic")));
        var file = Rlhf.Tensors.Serialization.Safetensors.Load(_tmp.File("shared/checkpoint/model.safetensors"));
        Assert.Contains("v_head.summary.weight", file.Tensors.Keys);  // the head travels with the policy
    }

    [Fact]
    public void A_prompt_too_long_for_the_context_is_named()
    {
        var (policy, reference) = PpoTestKit.Models();
        var prompts = new[] { new RlPrompt("the cat"), new RlPrompt(string.Join(' ', Enumerable.Repeat("birds sing in the tree", 10))) };
        var trainer = new PpoTrainer(PpoTestKit.Config(_tmp.File("long"), 1), PpoTestKit.Tok, policy, reference, new SayTokenReward(), prompts, TextWriter.Null, TrainingFixtures.Quiet);
        var ex = Assert.Throws<TrainingException>(() => trainer.Run());
        Assert.Contains("prompt 2", ex.Message);
        Assert.False(File.Exists(_tmp.File("long/metrics.jsonl")));
    }

    /// <summary>Same steps and bit-identical values, ignoring the timing fields.</summary>
    [Fact]
    public void Logged_entropy_is_the_first_epochs_also_with_an_entropy_bonus()
    {
        // the first epoch of a 3-epoch update sees the same minibatches as a 1-epoch update: the same entropy must be logged
        var cfg = PpoTestKit.Config(_tmp.File("e1"), 1) with { EntropyCoef = 0.05f, Epochs = 1 };
        Trainer(cfg, new SayTokenReward()).Run();
        Trainer(cfg with { OutDir = _tmp.File("e3"), Epochs = 3 }, new SayTokenReward()).Run();
        double one = MetricsReader.Read(_tmp.File("e1/metrics.jsonl"))[0].Get(RlMetricNames.Entropy)!.Value;
        double three = MetricsReader.Read(_tmp.File("e3/metrics.jsonl"))[0].Get(RlMetricNames.Entropy)!.Value;
        Assert.Equal(one, three, 12);
    }

    private static void AssertSameMetrics(string expectedPath, string actualPath)
    {
        var a = MetricsReader.Read(expectedPath);
        var b = MetricsReader.Read(actualPath);
        Assert.Equal(a.Select(e => e.Step), b.Select(e => e.Step));
        static bool Timing(string k) => k.StartsWith("time_", StringComparison.Ordinal) || k == "tokens_per_s";
        for (int i = 0; i < a.Count; i++)
        {
            var keys = a[i].Values.Keys.Where(k => !Timing(k)).ToList();
            Assert.Equal(keys, b[i].Values.Keys.Where(k => !Timing(k)));
            foreach (string k in keys)
                Assert.True(BitConverter.DoubleToInt64Bits(a[i].Values[k]) == BitConverter.DoubleToInt64Bits(b[i].Values[k]),
                    $"iteration {a[i].Step} {k}: {a[i].Values[k]:R} vs {b[i].Values[k]:R}");
        }
    }

    [Fact]
    public void Max_wall_time_stops_cleanly_with_a_checkpoint_that_resumes()
    {
        string dir = _tmp.File("wall");
        var stopped = Trainer(PpoTestKit.Config(dir, 2) with { MaxWallTime = TimeSpan.Zero }, new SayTokenReward()).Run();
        TrainingFixtures.AssertStoppedAtZeroWithCheckpoint(dir, stopped.Stopped, stopped.Iteration);
        var resumed = Trainer(PpoTestKit.Config(dir, 2), new SayTokenReward()).Run(resume: true);
        Assert.False(resumed.Stopped);
        Assert.Equal(2, resumed.Iteration);
    }

    /// <summary>Throws on its <c>failOn</c>-th call (1-based), otherwise scores as <see cref="SayTokenReward"/>.</summary>
    private sealed class FailingReward(int failOn) : IRewardFunction
    {
        private readonly SayTokenReward _inner = new();
        private int _calls;
        public string Name => "failing";
        public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch) =>
            ++_calls == failOn ? throw new HttpRequestException("judge endpoint down") : _inner.Score(batch);
    }

    [Fact]
    public void A_reward_function_that_throws_skips_that_iterations_samples_and_the_run_goes_on()
    {
        string dir = _tmp.File("failing");
        var log = new StringWriter();
        var (policy, reference) = PpoTestKit.Models(3);
        var config = PpoTestKit.Config(dir, 3) with { Guard = null };
        var result = new PpoTrainer(config, PpoTestKit.Tok, policy, reference, new FailingReward(failOn: 2), PpoTestKit.Prompts, log, TrainingFixtures.MessagesTo(log)).Run();
        Assert.Equal(3, result.Iteration);
        var m = MetricsReader.Read(Path.Combine(dir, TrainingSetup.MetricsFile));
        Assert.Equal(new double[] { 0, 8, 0 }, m.Select(e => e.Get("skipped_samples") ?? -1));     // iteration 2's whole batch of 8
        Assert.True(m[1].Get(RlMetricNames.ProxyReward) is double nan && double.IsNaN(nan), "iteration 2 has no kept sample");
        Assert.True(m[2].Get(RlMetricNames.ProxyReward) is double r && double.IsFinite(r), "iteration 3 trains again");
        Assert.Contains("reward failing failed: HttpRequestException: judge endpoint down", log.ToString());
    }
}
