using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Sft;
using Rlhf.Training.Tests.Common;
using Rlhf.Data;
using Rlhf.Data.Metrics;

namespace Rlhf.Training.Tests.Sft;

public sealed class SftTrainerTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static readonly ChatTemplate Template = new(TrainingFixtures.Tokenizer);

    /// <summary>"what is the cat doing?" → "it sat." style pairs, short enough for a 64-token context.</summary>
    private static List<TokenizedSft> Examples(int n = 14)
    {
        string[] subjects = ["cat", "dog", "bird", "sun"], verbs = ["sat", "ran", "sang", "slept"];
        return [.. Enumerable.Range(0, n).Select(i => SftData.Tokenize(
            new SftExample($"what did the {subjects[i % 4]} do?", $"it {verbs[(i / 4) % 4]}."), Template, $"ex{i}"))];
    }

    private static SftConfig Config(string outDir) => new()
    {
        OutDir = outDir, Model = TrainingFixtures.TinyModel(64), BatchSize = 3, Epochs = 2, LearningRate = 1e-2f, WarmupSteps = 2,
        EvalInterval = 2, EvalBatches = 2, CheckpointInterval = 0, ValFraction = 0.2, Seed = 3,
    };

    private static SftTrainer Trainer(SftConfig config, Action<int>? afterStep = null) =>
        new(config, TrainingFixtures.Tokenizer, Examples(), log: TextWriter.Null, progress: TrainingFixtures.Quiet) { AfterStep = afterStep };

    [Fact]
    public void Resume_AfterCancellation_IsBitIdenticalToUninterruptedRun_AcrossAnEpochBoundary()
    {
        string a = _tmp.File("a"), b = _tmp.File("b");
        var full = Trainer(Config(a)).Run();
        Assert.Equal(8, full.TotalSteps); // 14 examples, 3 held out → 11 → 4 batches per epoch × 2 epochs
        Assert.Equal(8, full.Step);

        using var cts = new CancellationTokenSource();
        var stopped = Trainer(Config(b), s => { if (s == 3) cts.Cancel(); }).Run(cancel: cts.Token);
        Assert.True(stopped.Stopped);
        Assert.Equal(3, stopped.Step);
        var resumed = Trainer(Config(b)).Run(resume: true);
        Assert.False(resumed.Stopped);
        Assert.Equal(8, resumed.Step);

        TrainingFixtures.AssertSameMetrics(Path.Combine(a, TrainingSetup.MetricsFile), Path.Combine(b, TrainingSetup.MetricsFile));
        var epochs = MetricsReader.Read(Path.Combine(b, TrainingSetup.MetricsFile)).Skip(1).Select(e => e.Get("epoch"));
        Assert.Equal([0.0, 0, 0, 0, 1, 1, 1, 1], epochs);
        string ca = Path.Combine(a, RunLayout.CheckpointDirectory), cb = Path.Combine(b, RunLayout.CheckpointDirectory);
        TrainingFixtures.AssertSameTensors(Path.Combine(ca, HfCheckpoint.WeightsFile), Path.Combine(cb, HfCheckpoint.WeightsFile));
        TrainingFixtures.AssertSameTensors(Path.Combine(ca, TrainingCheckpoint.OptimizerFile), Path.Combine(cb, TrainingCheckpoint.OptimizerFile));
        Assert.True(full.BestValLoss < full.LastValLoss + 1e-9 && full.BestValLoss < MetricsReader.Read(Path.Combine(a, TrainingSetup.MetricsFile))[0].Get("val_loss"));
    }

    [Fact]
    public void Batches_PutTheLossOnlyOnResponseTokensAndEndOfText()
    {
        var examples = Examples(5);
        var batch = SftTrainer.CreateCollator(TrainingFixtures.Tokenizer, 64).Collate(examples);
        var model = new Gpt(TrainingFixtures.TinyModel(64), seed: 5);
        for (int row = 0; row < examples.Count; row++)
        {
            // independent of the collator: the template's own prompt/response boundary
            var ids = Template.Encode(SubjectPrompt(row), ResponseText(row));
            Assert.Equal(ids.Ids[..ids.PromptLength], examples[row].PromptIds);
            for (int j = 0; j < batch.SeqLen; j++)
            {
                int target = batch.Targets[row * batch.SeqLen + j];
                if (j < ids.PromptLength - 1 || j >= ids.Ids.Length - 1) Assert.Equal(-100, target); // predicts a prompt token, or padding
                else Assert.Equal(ids.Ids[j + 1], target);                                          // predicts a response token or the end
            }
        }

        // the trainer's loss is the mean −log p over exactly those positions, computed here in double from the logits
        double loss = Evaluator.MeanLoss(model, [(batch.Inputs, batch.Targets, batch.BatchSize, batch.SeqLen)]);
        var logits = model.Logits(model.Forward(batch.Inputs, batch.BatchSize, batch.SeqLen)).ToArray(); // (B, T, V)
        int V = model.Config.VocabSize;
        double sum = 0;
        int count = 0;
        for (int row = 0; row < examples.Count; row++)
        {
            var ids = Template.Encode(SubjectPrompt(row), ResponseText(row));
            for (int j = ids.PromptLength - 1; j < ids.Ids.Length - 1; j++)
            {
                int o = (row * batch.SeqLen + j) * V;
                double max = double.NegativeInfinity, z = 0;
                for (int v = 0; v < V; v++) max = Math.Max(max, logits[o + v]);
                for (int v = 0; v < V; v++) z += Math.Exp(logits[o + v] - max);
                sum += max + Math.Log(z) - logits[o + ids.Ids[j + 1]];
                count++;
            }
        }
        Assert.Equal(batch.LossTokens, count);
        Assert.Equal(sum / count, loss, 4);
    }

    private static string SubjectPrompt(int i) => $"what did the {new[] { "cat", "dog", "bird", "sun" }[i % 4]} do?";

    private static string ResponseText(int i) => $"it {new[] { "sat", "ran", "sang", "slept" }[(i / 4) % 4]}.";

    [Fact]
    public void Training_LowersTheHeldOutLoss()
    {
        var config = Config(_tmp.File("t")) with { Epochs = 10, EvalInterval = 10 };
        var result = Trainer(config).Run();
        double initial = MetricsReader.Read(Path.Combine(config.OutDir, TrainingSetup.MetricsFile))[0].Get("val_loss")!.Value;
        Assert.True(result.BestValLoss < 0.6 * initial, $"held-out loss {initial} → best {result.BestValLoss}");
    }

    [Fact]
    public void SplitHeldOut_IsSeededDisjointAndKeepsOrder()
    {
        var ex = Examples(20);
        var (train, val) = SftData.SplitHeldOut(ex, 0.25, seed: 9);
        Assert.Equal(5, val.Count);
        Assert.Equal(15, train.Count);
        Assert.Equal(ex.Select(e => e.Source).Order(StringComparer.Ordinal), train.Concat(val).Select(e => e.Source).Order(StringComparer.Ordinal));
        Assert.Equal(train, train.OrderBy(e => ex.IndexOf(e)));
        Assert.Equal(val.Select(e => e.Source), SftData.SplitHeldOut(ex, 0.25, seed: 9).Val.Select(e => e.Source));
        Assert.NotEqual(val.Select(e => e.Source), SftData.SplitHeldOut(ex, 0.25, seed: 10).Val.Select(e => e.Source));
        Assert.Empty(SftData.SplitHeldOut(ex, 0, seed: 9).Val);
    }

    [Fact]
    public void Load_MalformedJsonl_NamesFileAndLine()
    {
        string path = _tmp.File("bad.jsonl");
        File.WriteAllText(path, "{\"prompt\": \"hi\", \"response\": \"hello\"}\n{\"prompt\": \"hi\"}\n");
        var e = Assert.Throws<DataFormatException>(() => SftData.Load(path, Template));
        Assert.StartsWith($"{path}:2:", e.Message);
        Assert.Contains("response", e.Message);
    }

    [Fact]
    public void Max_wall_time_stops_cleanly_with_a_checkpoint_that_resumes()
    {
        string dir = _tmp.File("wall");
        var stopped = Trainer(Config(dir) with { MaxWallTime = TimeSpan.Zero }).Run();
        TrainingFixtures.AssertStoppedAtZeroWithCheckpoint(dir, stopped.Stopped, stopped.Step);
        var resumed = Trainer(Config(dir)).Run(resume: true);
        Assert.False(resumed.Stopped);
        Assert.Equal(resumed.TotalSteps, resumed.Step);
    }

    [Fact]
    public void Non_finite_gradients_skip_every_update()
    {
        string init = TrainingFixtures.PoisonedModel(_tmp.File("poisoned"), 64), dir = _tmp.File("skip");
        var result = Trainer(Config(dir) with { Model = null, InitCheckpoint = init, MaxSteps = 2, EvalBatches = 0 }).Run();
        Assert.Equal(2, result.Step);
        TrainingFixtures.AssertEveryStepSkipped(dir, init, 2);
    }
}
