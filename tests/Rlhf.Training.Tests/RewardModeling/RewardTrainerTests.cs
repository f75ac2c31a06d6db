using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Metrics;
using Rlhf.Data.Preferences;
using Rlhf.Training.RewardModeling;

namespace Rlhf.Training.Tests.RewardModeling;

public sealed class RewardTrainerTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static readonly string[] Words = ["cat", "dog", "sun", "tree", "book", "park"];

    /// <summary>
    /// Easy synthetic K = 3 rankings: each completion is three words, some of them the marker "good"; more markers
    /// rank higher (counts 0..2 assigned to the three completions in a random order, so position carries no signal).
    /// </summary>
    public static List<string> RankedLines(int records, ulong seed)
    {
        var rng = new Rng(seed);
        var lines = new List<string>();
        for (int i = 0; i < records; i++)
        {
            int[] counts = [0, 1, 2];
            rng.Shuffle<int>(counts);
            var completions = counts.Select(c =>
            {
                var w = Enumerable.Range(0, 3).Select(_ => Words[rng.NextInt(Words.Length)]).ToArray();
                for (int j = 0; j < c; j++) w[j] = "good";
                rng.Shuffle<string>(w);
                return string.Join(' ', w);
            }).ToArray();
            var ranking = Enumerable.Range(0, 3).OrderByDescending(k => counts[k]).ToArray();
            lines.Add(JsonSerializer.Serialize(new { prompt = $"say {Words[i % Words.Length]} {i}", completions, ranking }));
        }
        return lines;
    }

    /// <summary>A tokenizer learned on the words and a tiny fresh GPT saved as the init checkpoint.</summary>
    public static (BpeTokenizer Tokenizer, string Init) Base(string dir)
    {
        var text = string.Concat(Enumerable.Repeat("User: say good cat dog sun tree book park 12345\nAssistant: good good\n", 30));
        var tok = BpeTrainer.Train(text, 256 + 24 + 1);
        HfCheckpoint.Save(dir, new Gpt(new GptConfig(2, 2, 32, 32, tok.VocabSize), seed: 1), eosTokenId: tok.EndOfTextId);
        tok.Save(dir);
        return (tok, dir);
    }

    private RewardConfig Config(string init, string outDir, ulong seed = 3) => new()
    {
        OutDir = outDir, InitCheckpoint = init, BatchSize = 8, MaxSteps = 120, LearningRate = 3e-3f, WarmupSteps = 5,
        EvalInterval = 40, EvalBatches = 10, ValFraction = 0.25, Seed = seed,
    };

    [Fact]
    public void Resume_AfterCancellation_IsBitIdenticalToUninterruptedRun_AcrossAnEpochBoundary()
    {
        var (tok, init) = Base(_tmp.File("base"));
        File.WriteAllLines(_tmp.File("prefs.jsonl"), RankedLines(40, seed: 5));
        var data = PreferenceData.Load(_tmp.File("prefs.jsonl"));
        // 30 training prompts in groups of 8 → 4 batches per epoch; 10 steps cross two epoch boundaries
        RewardConfig Cfg(string dir) => Config(init, dir) with { MaxSteps = 10, EvalInterval = 4, EvalBatches = 2, CheckpointInterval = 3 };
        string a = _tmp.File("a"), b = _tmp.File("b");
        var full = new RewardTrainer(Cfg(a), tok, data, TextWriter.Null, TrainingFixtures.Quiet).Run();
        Assert.Equal(10, full.Step);

        using var cts = new CancellationTokenSource();
        var stopped = new RewardTrainer(Cfg(b), tok, data, TextWriter.Null, TrainingFixtures.Quiet) { AfterStep = s => { if (s == 7) cts.Cancel(); } }
            .Run(cancel: cts.Token);
        Assert.True(stopped.Stopped);
        Assert.Equal(7, stopped.Step);
        Assert.Throws<TrainingException>(() => new RewardTrainer(Cfg(b), tok, data, TextWriter.Null, TrainingFixtures.Quiet).Run()); // fresh run refuses
        var resumed = new RewardTrainer(Cfg(b), tok, data, TextWriter.Null, TrainingFixtures.Quiet).Run(resume: true);
        Assert.False(resumed.Stopped);
        Assert.Equal(10, resumed.Step);

        TrainingFixtures.AssertSameMetrics(Path.Combine(a, TrainingSetup.MetricsFile), Path.Combine(b, TrainingSetup.MetricsFile));
        var epochs = MetricsReader.Read(Path.Combine(b, TrainingSetup.MetricsFile)).Skip(1).Select(e => e.Get("epoch"));
        Assert.Equal([0.0, 0, 0, 0, 1, 1, 1, 1, 2, 2], epochs);
        TrainingFixtures.AssertSameTensors(Path.Combine(full.Directory, HfCheckpoint.WeightsFile), Path.Combine(resumed.Directory, HfCheckpoint.WeightsFile));
        TrainingFixtures.AssertSameTensors(Path.Combine(full.Directory, TrainingCheckpoint.OptimizerFile), Path.Combine(resumed.Directory, TrainingCheckpoint.OptimizerFile));
        var (ra, rb) = (RewardModel.Load(full.Directory), RewardModel.Load(resumed.Directory));
        Assert.Equal((ra.Mean, ra.Std), (rb.Mean, rb.Std));
    }

    [Fact]
    public void Trainer_LearnsAnEasyKWisePreference_AndNormalisesOnTheHeldOutCompletions()
    {
        var (tok, init) = Base(_tmp.File("base"));
        File.WriteAllLines(_tmp.File("prefs.jsonl"), RankedLines(160, seed: 11));
        var data = PreferenceData.Load(_tmp.File("prefs.jsonl"));
        var result = new RewardTrainer(Config(init, _tmp.File("run")), tok, data, TextWriter.Null, TrainingFixtures.Quiet).Run();

        Assert.Equal(120, result.Step);
        Assert.NotNull(result.Evaluation);
        Assert.Equal(40 * 3, result.Evaluation!.Pairs); // 40 held-out prompts × C(3, 2)
        Assert.True(result.Evaluation.Accuracy >= 0.95, $"held-out pairwise accuracy {result.Evaluation.Accuracy:P1}");

        // the saved model reproduces the held-out accuracy and scores the held-out completions mean 0, std 1
        var rm = RewardModel.Load(result.Directory);
        var (_, held) = data.Split(0.25, 3);
        var again = RewardEvaluator.Evaluate(rm, new ChatTemplate(tok), held);
        Assert.Equal(result.Evaluation.Accuracy, again.Accuracy);
        var collator = new RewardCollator(new ChatTemplate(tok), 32);
        var z = RewardCollator.ScoreRaw(rm, collator.Encode(held.Records, out _).SelectMany(r => r.Sequences).ToList()).Select(rm.Normalize).ToArray();
        Assert.Equal(0, z.Average(), 3);
        Assert.Equal(1, Math.Sqrt(z.Select(v => v * v).Average()), 3);

        var log = MetricsReader.Read(Path.Combine(_tmp.File("run"), TrainingSetup.MetricsFile));
        Assert.Equal(Enumerable.Range(0, 121), log.Select(e => e.Step));
        Assert.All(log.Skip(1), e => Assert.All(new[] { "loss", "accuracy", "lr", "grad_norm" },
            key => Assert.True(e.Get(key) is double v && double.IsFinite(v), $"step {e.Step}: '{key}' missing or not finite")));
        Assert.All(log.Skip(1), e => Assert.InRange(e.Get("accuracy")!.Value, 0, 1));
        Assert.True(log[^1].Get("eval_loss") < log[0].Get("eval_loss"));
    }

    [Fact]
    public void Collator_SkipsRecordsWithATooLongCompletion_AndWeightsPairsPerPrompt()
    {
        var (tok, _) = Base(_tmp.File("base"));
        var template = new ChatTemplate(tok);
        var ok = new RankedCompletions("say cat", ["good", "dog", "sun"], [0, 2, 1], []);
        var tooLong = new RankedCompletions("say cat", ["good", string.Join(' ', Enumerable.Repeat("tree", 40))], [0, 1], []);
        var collator = new RewardCollator(template, 32);
        var kept = collator.Encode([ok, tooLong, ok], out int skipped);
        Assert.Equal(1, skipped);
        var batch = collator.Collate(kept, margin: 0.5f);
        Assert.Equal(6, batch.Rows);
        Assert.Equal(2, batch.Groups);
        Assert.Equal([(0, 2), (0, 1), (2, 1), (3, 5), (3, 4), (5, 4)], batch.Pairs.Select(p => (p.Better, p.Worse)));
        Assert.All(batch.Pairs, p => { Assert.Equal(1f / 3, p.Weight); Assert.Equal(0.5f, p.Margin); });
        for (int r = 0; r < batch.Rows; r++)
        {
            var ids = template.Encode("say cat", ok.Completions[r % 3]).Ids;
            Assert.Equal(ids, batch.Ids.AsSpan(r * batch.SeqLen, ids.Length).ToArray());
            Assert.Equal(ids.Length, batch.Mask.AsSpan(r * batch.SeqLen, batch.SeqLen).Count(true));
        }
    }

    [Fact]
    public void Wilson_MatchesAKnownInterval_AndCalibrationBinsSumToThePairs()
    {
        // 8 of 10: the textbook 95% Wilson interval is [0.4902, 0.9433]
        var (lo, hi) = RewardEvaluator.Wilson(8, 10);
        Assert.Equal(0.4902, lo, 4);
        Assert.Equal(0.9433, hi, 4);
        Assert.Equal((0.0, 0.0), (RewardEvaluator.Wilson(0, 10).Lower, Math.Round(RewardEvaluator.Wilson(10, 10).Upper - 1, 12)));

        float[] scores = [2f, 0f, -1f, 0.1f, 0f, 0f, 5f];
        ScorePair[] pairs = [new(0, 1), new(1, 2), new(3, 4), new(4, 3), new(4, 5), new(6, 2), new(2, 6)];
        var e = RewardEvaluator.Summarize(scores, pairs, records: 3);
        Assert.Equal(7, e.Calibration.Sum(b => b.Count));
        Assert.Equal((1 + 1 + 1 + 0 + 0.5 + 1 + 0) / 7, e.Accuracy, 12);
        Assert.Equal((2 + 1 + 0.1 - 0.1 + 0 + 6 - 6) / 7.0, e.MeanMargin, 6);
        // σ(±6) ≈ 0.9975 → top bin; the tie (confidence 0.5) and ±0.1 (0.525) → bottom bin
        Assert.Equal(2, e.Calibration[^1].Count);
        Assert.Equal(0.5, e.Calibration[^1].Accuracy);
        Assert.Equal(3, e.Calibration[0].Count);
    }

    [Fact]
    public void Trainer_NormalisesOnGivenReferenceSamples_SkippingTooLongOnes()
    {
        var (tok, init) = Base(_tmp.File("base"));
        File.WriteAllLines(_tmp.File("prefs.jsonl"), RankedLines(40, seed: 12));
        var data = PreferenceData.Load(_tmp.File("prefs.jsonl"));
        var rng = new Rng(5);
        var samples = Enumerable.Range(0, 30)
            .Select(i => new SftExample($"say {Words[i % Words.Length]}", string.Join(' ', Enumerable.Range(0, 1 + rng.NextInt(4)).Select(_ => Words[rng.NextInt(Words.Length)]))))
            .Append(new SftExample("long", string.Join(' ', Enumerable.Repeat("tree", 200))))
            .ToList();
        var config = Config(init, _tmp.File("run")) with { MaxSteps = 10 };
        var result = new RewardTrainer(config, tok, data, TextWriter.Null, TrainingFixtures.Quiet) { ReferenceSamples = samples }.Run();

        var rm = RewardModel.Load(result.Directory);
        var template = new ChatTemplate(tok);
        var ids = samples.Take(30).Select(x => template.Encode(x.Prompt, x.Response).Ids).ToList();
        var z = RewardCollator.ScoreRaw(rm, ids).Select(rm.Normalize).ToArray();
        Assert.Equal(0, z.Average(), 3);
        Assert.Equal(1, Math.Sqrt(z.Select(v => v * v).Average()), 3);
    }

    [Fact]
    public void Max_wall_time_stops_cleanly_with_a_checkpoint_that_resumes()
    {
        var (tok, init) = Base(_tmp.File("base"));
        File.WriteAllLines(_tmp.File("prefs.jsonl"), RankedLines(40, seed: 5));
        var data = PreferenceData.Load(_tmp.File("prefs.jsonl"));
        string dir = _tmp.File("wall");
        var config = Config(init, dir) with { MaxSteps = 3, EvalInterval = 0, EvalBatches = 1 };
        var stopped = new RewardTrainer(config with { MaxWallTime = TimeSpan.Zero }, tok, data, TextWriter.Null, TrainingFixtures.Quiet).Run();
        TrainingFixtures.AssertStoppedAtZeroWithCheckpoint(dir, stopped.Stopped, stopped.Step);
        var resumed = new RewardTrainer(config, tok, data, TextWriter.Null, TrainingFixtures.Quiet).Run(resume: true);
        Assert.False(resumed.Stopped);
        Assert.Equal(3, resumed.Step);
    }

    [Fact]
    public void Non_finite_gradients_skip_every_update()
    {
        string init = TrainingFixtures.PoisonedModel(_tmp.File("poisoned"), 64), dir = _tmp.File("skip");
        File.WriteAllLines(_tmp.File("prefs.jsonl"), RankedLines(40, seed: 5));
        var data = PreferenceData.Load(_tmp.File("prefs.jsonl"));
        var config = Config(init, dir) with { MaxSteps = 2, EvalBatches = 0 };
        var result = new RewardTrainer(config, TrainingFixtures.Tokenizer, data, TextWriter.Null, TrainingFixtures.Quiet).Run();
        Assert.Equal(2, result.Step);
        TrainingFixtures.AssertEveryStepSkipped(dir, init, 2);
    }
}
