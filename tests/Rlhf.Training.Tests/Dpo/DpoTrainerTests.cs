using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Common;
using Rlhf.Training.Dpo;
using Rlhf.Training.Labeling;
using Rlhf.Training.Rl;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Metrics;
using Rlhf.Data.Preferences;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Dpo;

public sealed class DpoTrainerTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static readonly string[] Nouns = ["cat", "dog", "sun", "bird", "book", "tree", "park", "mat"];

    /// <summary>An easy preference: for any prompt, "the X is warm." beats "the X is cold." (60 prompts).</summary>
    private static PreferenceData Easy(int n = 60) => new(PreferenceFormat.Pairwise, [.. Enumerable.Range(0, n).Select(i =>
    {
        string noun = Nouns[i % Nouns.Length];
        return new PreferencePair($"tell me about the {noun} {i}", $"the {noun} is warm.", $"the {noun} is cold.").ToRanked();
    })]);

    private static DpoConfig Config(string outDir) => new()
    {
        OutDir = outDir, Model = TrainingFixtures.TinyModel(64), BatchSize = 8, MaxSteps = 8, LearningRate = 1e-2f, WarmupSteps = 2,
        EvalInterval = 2, EvalBatches = 2, KlPrompts = 2, KlMaxNewTokens = 5, CheckpointInterval = 0, ValFraction = 0.25, Seed = 5,
    };

    private static DpoTrainer Trainer(DpoConfig config, PreferenceData? data = null, Action<int>? afterStep = null) =>
        new(config, TrainingFixtures.Tokenizer, data ?? Easy(), TextWriter.Null, TrainingFixtures.Quiet) { AfterStep = afterStep, Gold = new LexiconSentimentScorer() };

    [Fact]
    public void Easy_synthetic_preference_reaches_over_90_percent_held_out_accuracy()
    {
        var config = Config(_tmp.File("easy")) with { MaxSteps = 30, EvalInterval = 30, EvalBatches = 4 };
        var result = Trainer(config).Run();
        var log = MetricsReader.Read(Path.Combine(config.OutDir, TrainingSetup.MetricsFile));
        Assert.Equal(45, result.Data.Kept); // 60 prompts, 15 held out
        double accuracy = result.LastEval!["eval_accuracy"];
        Assert.True(accuracy > 0.9, $"held-out preference accuracy {accuracy}");
        Assert.True(Math.Abs(log[0].Get("eval_margin")!.Value) < 1e-4); // policy = reference: implicit rewards 0 (up to batching noise)
        Assert.True(log[^1].Get("eval_margin") is > 0.5, $"the held-out implicit reward margin should grow positive, got {log[^1].Get("eval_margin")}");
        Assert.True(log[^1].Get("rewards_chosen") > log[^1].Get("rewards_rejected"), "the chosen responses' implicit reward should exceed the rejected ones'");

        // independently of the trainer's metrics: on prompts it never saw, the saved policy raised log π(chosen) −
        // log π(rejected) relative to the reference (a flipped loss sign or swapped pair would lower it)
        var policy = HfCheckpoint.Load(Path.Combine(config.OutDir, RunLayout.CheckpointDirectory));
        var reference = DpoTrainer.LoadReference(config, TrainingFixtures.Tokenizer);
        var unseen = new DpoCollator(new ChatTemplate(TrainingFixtures.Tokenizer), 64).Encode(Nouns.Select(n => new PreferencePair($"tell me about the {n} {1000}", $"the {n} is warm.", $"the {n} is cold.")));
        Assert.True(unseen.Pairs.Count == Nouns.Length, unseen.Report.ToString());
        var pi = ReferenceLogProbCache.SequenceLogProbs(policy, unseen, 64, TrainingFixtures.Tokenizer.PadId);
        var piRef = ReferenceLogProbCache.SequenceLogProbs(reference, unseen, 64, TrainingFixtures.Tokenizer.PadId);
        var margins = unseen.Pairs.Select(p => (pi[p.Chosen] - piRef[p.Chosen]) - (pi[p.Rejected] - piRef[p.Rejected])).ToArray();
        Assert.True(margins.All(m => m > 0), $"implicit reward margins on unseen prompts: {string.Join(", ", margins.Select(m => m.ToString("F3")))}");
        Assert.True(double.IsFinite(result.LastEval[RlMetricNames.Kl]), "the sampled KL is logged"); // a k1 estimate from 2 samples may have either sign
    }

    [Fact]
    public void Policy_equal_to_reference_logs_log_2_and_zero_kl_before_training()
    {
        var config = Config(_tmp.File("ln2")) with { MaxSteps = 1 };
        Trainer(config).Run();
        var log = MetricsReader.Read(Path.Combine(config.OutDir, TrainingSetup.MetricsFile));
        Assert.Equal(0, log[0].Step);
        Assert.Equal(Math.Log(2), log[0].Get("eval_loss")!.Value, 5);
        Assert.Equal(0.0, log[0].Get(RlMetricNames.Kl));        // same weights, same batch: exactly 0
        Assert.Equal(0.5, log[0].Get("eval_accuracy"));        // every pair a tie, not float noise
        Assert.Equal(Math.Log(2), log[1].Get("loss")!.Value, 5); // step 1's loss is measured before its update
        Assert.True(Math.Abs(log[1].Get("margin")!.Value) < 1e-5);
        Assert.NotNull(log[0].Get(RlMetricNames.GoldReward));
    }

    [Fact]
    public void Resume_after_cancellation_is_bit_identical_to_an_uninterrupted_run_across_an_epoch_boundary()
    {
        string a = _tmp.File("a"), b = _tmp.File("b");
        var full = Trainer(Config(a)).Run();
        Assert.Equal(8, full.Step);

        using var cts = new CancellationTokenSource();
        var stopped = Trainer(Config(b), afterStep: s => { if (s == 3) cts.Cancel(); }).Run(cancel: cts.Token);
        Assert.True(stopped.Stopped);
        Assert.Equal(3, stopped.Step);
        var resumed = Trainer(Config(b)).Run(resume: true);
        Assert.Equal(8, resumed.Step);

        TrainingFixtures.AssertSameMetrics(Path.Combine(a, TrainingSetup.MetricsFile), Path.Combine(b, TrainingSetup.MetricsFile));
        var epochs = MetricsReader.Read(Path.Combine(b, TrainingSetup.MetricsFile)).Skip(1).Select(e => e.Get("epoch"));
        Assert.Equal([0.0, 0, 0, 0, 0, 0, 1, 1], epochs); // 45 pairs in batches of 8: 6 per epoch
        string ca = Path.Combine(a, RunLayout.CheckpointDirectory), cb = Path.Combine(b, RunLayout.CheckpointDirectory);
        TrainingFixtures.AssertSameTensors(Path.Combine(ca, HfCheckpoint.WeightsFile), Path.Combine(cb, HfCheckpoint.WeightsFile));
        TrainingFixtures.AssertSameTensors(Path.Combine(ca, TrainingCheckpoint.OptimizerFile), Path.Combine(cb, TrainingCheckpoint.OptimizerFile));
        Assert.Equal(File.ReadAllText(Path.Combine(a, ReferenceLogProbCache.FileName)), File.ReadAllText(Path.Combine(b, ReferenceLogProbCache.FileName)));
    }

    [Fact]
    public void Ipo_also_learns_the_easy_preference()
    {
        var config = Config(_tmp.File("ipo")) with { Loss = IpoLoss.LossName, Beta = 0.5f, MaxSteps = 30, EvalInterval = 30, EvalBatches = 4, LearningRate = 3e-3f };
        var result = Trainer(config).Run();
        Assert.True(result.LastEval!["eval_accuracy"] > 0.9, $"held-out accuracy {result.LastEval["eval_accuracy"]}");
    }

    [Fact]
    public void Bad_input_is_reported_clearly_and_nothing_is_trained_on_unusable_data()
    {
        // all pairs unusable: an error that says why, before any checkpoint is written
        var bad = new PreferenceData(PreferenceFormat.Pairwise, [.. Enumerable.Range(0, 8).Select(i =>
            new PreferencePair($"prompt {i}", i % 2 == 0 ? "same." : "", i % 2 == 0 ? "same." : "x.").ToRanked())]);
        var e = Assert.Throws<TrainingException>(() => Trainer(Config(_tmp.File("bad")), bad).Run());
        Assert.Contains("no usable training pair", e.Message);
        Assert.Contains("identical chosen/rejected", e.Message);
        Assert.Null(TrainingCheckpoint.Find(_tmp.File("bad")));

        // resuming against other data is refused instead of using mismatched reference log-probs
        string dir = _tmp.File("other");
        Trainer(Config(dir) with { MaxSteps = 2 }).Run();
        var changed = Assert.Throws<TrainingException>(() => Trainer(Config(dir) with { MaxSteps = 4 }, Easy(61)).Run(resume: true));
        Assert.Contains("other data", changed.Message);
    }

    [Fact]
    public void Max_wall_time_stops_cleanly_with_a_checkpoint_that_resumes()
    {
        string dir = _tmp.File("wall");
        var config = Config(dir) with { MaxSteps = 3, KlPrompts = 0 };
        var stopped = Trainer(config with { MaxWallTime = TimeSpan.Zero }).Run();
        TrainingFixtures.AssertStoppedAtZeroWithCheckpoint(dir, stopped.Stopped, stopped.Step);
        var resumed = Trainer(config).Run(resume: true);
        Assert.False(resumed.Stopped);
        Assert.Equal(3, resumed.Step);
    }

    [Fact]
    public void Non_finite_gradients_skip_every_update()
    {
        string init = TrainingFixtures.PoisonedModel(_tmp.File("poisoned"), 64), dir = _tmp.File("skip");
        var result = Trainer(Config(dir) with { Model = null, InitCheckpoint = init, MaxSteps = 2, EvalBatches = 0, KlPrompts = 0 }).Run();
        Assert.Equal(2, result.Step);
        TrainingFixtures.AssertEveryStepSkipped(dir, init, 2);
    }
}
