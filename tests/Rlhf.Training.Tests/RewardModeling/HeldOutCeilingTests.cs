using Rlhf.Data.Metrics;
using Rlhf.Data.Preferences;
using Rlhf.Training.Common;
using Rlhf.Data.Progress;
using Rlhf.Training.RewardModeling;
using Rlhf.Training.Scoring;
using Rlhf.Training.Tests.Common;

namespace Rlhf.Training.Tests.RewardModeling;

/// <summary>The labelers' ceilings an RM's held-out accuracy is read against: computed on exactly its held-out pairs.</summary>
public sealed class HeldOutCeilingTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private sealed class FuncGold(Func<string, double> score) : IGoldScorer
    {
        public string Name => "test";
        public double Score(string prompt, string completion) => score(completion);
    }

    [Fact]
    public void An_RM_can_beat_the_gold_ceiling_but_not_the_labelers_utility_ceiling()
    {
        // gold: a 1, bbbb 0, cc 0.5; length bias 100 per 100 characters → utility a 2, bbbb 4, cc 2.5
        var table = new Dictionary<string, double> { ["a"] = 1, ["bbbb"] = 0, ["cc"] = 0.5 };
        var gold = new FuncGold(c => table[c]);
        string[] completions = ["a", "bbbb", "cc"];
        // p1 ranked by the utility (bbbb ≻ cc ≻ a); p2 a noisy ranking (a ≻ bbbb ≻ cc)
        RankedCompletions[] heldOut = [new("p1", completions, [1, 2, 0], []), new("p2", completions, [0, 1, 2], [])];
        var (goldCeiling, utilityCeiling) = RewardTrainer.HeldOutCeilings(heldOut, gold, lengthBias: 100);
        // gold: p1 (bbbb≻cc ✗, bbbb≻a ✗, cc≻a ✗), p2 (a≻bbbb ✓, a≻cc ✓, bbbb≻cc ✗) → 2/6
        Assert.Equal(2 / 6.0, goldCeiling, 12);
        // utility: p1 ✓ ✓ ✓, p2 ✗ ✗ ✓ → 4/6
        Assert.Equal(4 / 6.0, utilityCeiling, 12);

        // an RM scoring the completions (the same texts in both records): every score pattern over {0, 1, 2}³, its
        // accuracy as the held-out evaluation counts it (ties ½)
        double Accuracy(float[] s)
        {
            var scores = s.Concat(s).ToArray();
            var pairs = heldOut.SelectMany((r, i) => r.Pairs().Select(p => new ScorePair(3 * i + p.Better, 3 * i + p.Worse, 1f))).ToList();
            return RewardEvaluator.Summarize(scores, pairs, heldOut.Length).Accuracy;
        }
        double best = 0;
        for (int x = 0; x < 27; x++) best = Math.Max(best, Accuracy([x % 3, x / 3 % 3, x / 9]));
        Assert.Equal(utilityCeiling, best, 12);                  // no RM beats the utility ceiling here
        double byLength = Accuracy([1, 4, 2]);                    // an RM that learnt the length bias
        Assert.True(byLength > goldCeiling, $"{byLength} vs gold ceiling {goldCeiling}");
        Assert.Equal(utilityCeiling, byLength, 12);
    }

    [Fact]
    public void Rm_train_logs_the_ceilings_of_its_evaluated_held_out_pairs_and_training_labels_do_not_change_them()
    {
        var (tok, init) = RewardTrainerTests.Base(_tmp.File("base"));
        File.WriteAllLines(_tmp.File("prefs.jsonl"), RewardTrainerTests.RankedLines(40, seed: 5));
        var data = PreferenceData.Load(_tmp.File("prefs.jsonl"));
        var gold = new FuncGold(c => c.Split(' ').Count(w => w is "cat" or "good") - 0.5 * c.Split(' ').Count(w => w == "dog"));
        const double bias = 3;
        RewardConfig Cfg(string dir) => new()
        {
            OutDir = dir, InitCheckpoint = init, BatchSize = 3, MaxSteps = 1, LearningRate = 1e-3f, WarmupSteps = 0,
            EvalInterval = 1, EvalBatches = 2, ValFraction = 0.25, Seed = 4,
        };
        RewardResult Train(PreferenceData d, string dir) =>
            new RewardTrainer(Cfg(dir), tok, d, TextWriter.Null, TrainingFixtures.Quiet) { CeilingGold = gold, CeilingLengthBias = bias }.Run();

        // the same split function as the trainer: 10 held-out prompts, of which the first 2·3 are evaluated
        var (train, eval) = data.Split(0.25, 4);
        var expected = RewardTrainer.HeldOutCeilings([.. eval.Records.Take(6)], gold, bias);
        var a = Train(data, _tmp.File("a"));
        Assert.Equal(6, a.Evaluation!.Records);
        Assert.Equal(expected.Gold, a.LabelCeilingGold!.Value, 12);
        Assert.Equal(expected.Utility, a.LabelCeilingUtility!.Value, 12);
        var logged = MetricsReader.Read(Path.Combine(_tmp.File("a"), TrainingSetup.MetricsFile)).Where(e => e.Get("eval_accuracy") is not null).ToList();
        Assert.NotEmpty(logged);
        Assert.All(logged, e => Assert.Equal(expected.Gold, e.Get(RewardTrainer.LabelCeilingGoldMetric)!.Value, 12));
        Assert.All(logged, e => Assert.Equal(expected.Utility, e.Get(RewardTrainer.LabelCeilingUtilityMetric)!.Value, 12));

        // reverse every training prompt's ranking: the ceilings over all records move, the held-out ones do not
        var trainPrompts = train.Records.Select(r => r.Prompt).ToHashSet();
        var flipped = new PreferenceData(data.Format, [.. data.Records.Select(r => trainPrompts.Contains(r.Prompt) ? r with { Ranking = [.. r.Ranking.Reverse()] } : r)]);
        Assert.NotEqual(RewardTrainer.HeldOutCeilings(data.Records, gold, bias), RewardTrainer.HeldOutCeilings(flipped.Records, gold, bias));
        var b = Train(flipped, _tmp.File("b"));
        Assert.Equal(a.LabelCeilingGold, b.LabelCeilingGold);
        Assert.Equal(a.LabelCeilingUtility, b.LabelCeilingUtility);

        // without a gold scorer nothing is logged
        var none = new RewardTrainer(Cfg(_tmp.File("c")), tok, data, TextWriter.Null, TrainingFixtures.Quiet).Run();
        Assert.Null(none.LabelCeilingGold);
        Assert.DoesNotContain(RewardTrainer.LabelCeilingGoldMetric, File.ReadAllText(Path.Combine(_tmp.File("c"), TrainingSetup.MetricsFile)));
    }
}
