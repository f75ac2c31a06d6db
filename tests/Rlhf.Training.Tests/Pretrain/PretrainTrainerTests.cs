using Rlhf.Models.Checkpoints;
using Rlhf.Training.Common;
using Rlhf.Training.Pretrain;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Metrics;

namespace Rlhf.Training.Tests.Pretrain;

public sealed class PretrainTrainerTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static PretrainConfig Config(string outDir) => new()
    {
        OutDir = outDir, Model = TrainingFixtures.TinyModel(), BatchSize = 4, SeqLen = 16, MaxSteps = 6, LearningRate = 1e-2f,
        WarmupSteps = 2, EvalInterval = 2, EvalBatches = 2, CheckpointInterval = 3, ValFraction = 0.1, Seed = 7,
    };

    private static PretrainTrainer Trainer(PretrainConfig config, Action<int>? afterStep = null) =>
        new(config, TrainingFixtures.Tokenizer, TrainingFixtures.Corpus(), TextWriter.Null, TrainingFixtures.Quiet) { AfterStep = afterStep };

    [Fact]
    public void Resume_AfterCrash_IsBitIdenticalToUninterruptedRun()
    {
        string a = _tmp.File("a"), b = _tmp.File("b");
        var full = Trainer(Config(a)).Run();
        Assert.Equal(6, full.Step);

        // crash after step 4: the checkpoint holds step 3, metrics.jsonl already has step 4
        Assert.Throws<SimulatedCrash>(() => Trainer(Config(b), s => { if (s == 4) throw new SimulatedCrash(); }).Run());
        Assert.Equal(4, MetricsReader.Read(Path.Combine(b, TrainingSetup.MetricsFile)).Max(e => e.Step));
        var resumed = Trainer(Config(b)).Run(resume: true);
        Assert.Equal(6, resumed.Step);

        TrainingFixtures.AssertSameMetrics(Path.Combine(a, TrainingSetup.MetricsFile), Path.Combine(b, TrainingSetup.MetricsFile));
        var steps = MetricsReader.Read(Path.Combine(b, TrainingSetup.MetricsFile)).Select(e => e.Step);
        Assert.Equal([0, 1, 2, 3, 4, 5, 6], steps); // step 4 logged once, not twice
        string ca = Path.Combine(a, RunLayout.CheckpointDirectory), cb = Path.Combine(b, RunLayout.CheckpointDirectory);
        TrainingFixtures.AssertSameTensors(Path.Combine(ca, HfCheckpoint.WeightsFile), Path.Combine(cb, HfCheckpoint.WeightsFile));
        TrainingFixtures.AssertSameTensors(Path.Combine(ca, TrainingCheckpoint.OptimizerFile), Path.Combine(cb, TrainingCheckpoint.OptimizerFile));
        Assert.Equal(full.BestValLoss, resumed.BestValLoss);
        Assert.Equal(full.BestValStep, resumed.BestValStep);
    }

    [Fact]
    public void Metrics_HaveLossLrGradNormThroughputAndValLossAtEvalSteps()
    {
        string dir = _tmp.File("m");
        var result = Trainer(Config(dir)).Run();
        var entries = MetricsReader.Read(Path.Combine(dir, TrainingSetup.MetricsFile));
        Assert.Equal(["val_loss"], entries[0].Values.Keys);
        foreach (var e in entries.Skip(1))
        {
            foreach (string k in new[] { "loss", "lr", "grad_norm", "tokens_per_s" })
                Assert.True(e.Get(k) is double v && double.IsFinite(v) && v >= 0, $"step {e.Step} {k}");
            Assert.Equal(e.Step % 2 == 0, e.Get("val_loss") is not null);
        }
        Assert.Equal(Config(dir).Schedule(6).At(0), (float)entries[1].Get("lr")!.Value);
        Assert.Equal(result.LastValLoss, entries[^1].Get("val_loss"));
        // the checkpoint directory is a loadable model with its tokenizer
        var model = HfCheckpoint.Load(result.CheckpointDirectory);
        Assert.Equal(TrainingFixtures.TinyModel(), model.Config);
        Assert.Equal(TrainingFixtures.Tokenizer.VocabSize, Rlhf.Models.Tokenization.BpeTokenizer.Load(result.CheckpointDirectory).VocabSize);
    }

    [Fact]
    public void TinyRun_ValLossFallsWellBelowUnigramEntropy()
    {
        var config = Config(_tmp.File("q")) with
        {
            Model = TrainingFixtures.TinyModel(), MaxSteps = 150, LearningRate = 1e-2f, WarmupSteps = 10, BatchSize = 8, SeqLen = 32,
            EvalInterval = 50, EvalBatches = 4, CheckpointInterval = 0,
        };
        var log = new StringWriter();
        var result = new PretrainTrainer(config, TrainingFixtures.Tokenizer, TrainingFixtures.Corpus(), log, TrainingFixtures.Quiet).Run();
        var entries = MetricsReader.Read(Path.Combine(config.OutDir, TrainingSetup.MetricsFile));
        double initial = entries[0].Get("val_loss")!.Value;
        Assert.True(initial > result.UnigramEntropy, $"untrained val loss {initial} vs unigram entropy {result.UnigramEntropy}");
        Assert.True(result.BestValLoss < 0.5 * result.UnigramEntropy, $"best val loss {result.BestValLoss} vs unigram entropy {result.UnigramEntropy}");
        Assert.Contains("nats below", log.ToString());
    }

    [Fact]
    public void Resume_WithoutCheckpoint_FailsClearly()
    {
        var e = Assert.Throws<TrainingException>(() => Trainer(Config(_tmp.File("none"))).Run(resume: true));
        Assert.Contains("nothing to resume", e.Message);
        Assert.Contains("none", e.Message);
    }

    [Fact]
    public void Resume_WithChangedSettings_NamesThem_AndLeavesTheRunIntact()
    {
        string dir = _tmp.File("c");
        Trainer(Config(dir) with { MaxSteps = 3 }).Run();
        string metrics = File.ReadAllText(Path.Combine(dir, TrainingSetup.MetricsFile));
        var e = Assert.Throws<TrainingException>(() => Trainer(Config(dir) with { LearningRate = 3e-2f, BatchSize = 2 }).Run(resume: true));
        Assert.Contains("learning_rate", e.Message);
        Assert.Contains("batch_size 4 → 2", e.Message);
        Assert.Equal(metrics, File.ReadAllText(Path.Combine(dir, TrainingSetup.MetricsFile)));
        // more steps is allowed
        Assert.Equal(6, Trainer(Config(dir)).Run(resume: true).Step);
    }

    [Fact]
    public void FreshRun_IntoExistingRun_IsRefused()
    {
        string dir = _tmp.File("f");
        Trainer(Config(dir) with { MaxSteps = 1 }).Run();
        var e = Assert.Throws<TrainingException>(() => Trainer(Config(dir)).Run());
        Assert.Contains("--resume", e.Message);
    }

    [Fact]
    public void TooLittleValidationData_FailsBeforeWritingAnything()
    {
        string dir = _tmp.File("v");
        var e = Assert.Throws<TrainingException>(() => Trainer(Config(dir) with { ValFraction = 0.001 }).Run());
        Assert.Contains("validation split", e.Message);
        Assert.False(File.Exists(Path.Combine(dir, TrainingSetup.MetricsFile)));
    }

    [Theory]
    [InlineData(new[] { 5, 5, 5 }, 0.0)]
    [InlineData(new[] { 0, 1, 2, 3 }, 1.3862943611198906)] // ln 4
    [InlineData(new[] { 0, 0, 0, 1 }, 0.5623351446188083)] // −¾ln¾ − ¼ln¼
    public void UnigramEntropy_IsTheEntropyOfTokenFrequencies(int[] tokens, double expected) =>
        Assert.Equal(expected, UnigramEntropy.Nats(tokens), 12);

    [Fact]
    public void Max_wall_time_stops_cleanly_with_a_checkpoint_that_resumes()
    {
        string dir = _tmp.File("wall");
        var stopped = Trainer(Config(dir) with { MaxWallTime = TimeSpan.Zero }).Run();
        TrainingFixtures.AssertStoppedAtZeroWithCheckpoint(dir, stopped.Stopped, stopped.Step);
        var resumed = Trainer(Config(dir)).Run(resume: true);
        Assert.False(resumed.Stopped);
        Assert.Equal(6, resumed.Step);
    }

    [Fact]
    public void Non_finite_gradients_skip_every_update()
    {
        string init = TrainingFixtures.PoisonedModel(_tmp.File("poisoned")), dir = _tmp.File("skip");
        var result = Trainer(Config(dir) with { Model = null, InitCheckpoint = init, MaxSteps = 2, EvalBatches = 0 }).Run();
        Assert.Equal(2, result.Step);
        TrainingFixtures.AssertEveryStepSkipped(dir, init, 2);
    }
}
