using Rlhf.Data.Preferences;
using Rlhf.Training.Labeling;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Labeling;

public class LabelCeilingTests
{
    private sealed class TableGold(Dictionary<string, double> scores) : IGoldScorer
    {
        public string Name => "table";
        public double Score(string prompt, string completion) => scores[completion];
    }

    [Fact]
    public void Gold_and_biased_utility_agreement_with_the_labels_by_hand()
    {
        // labels rank "bbbb" ≻ "a" ≻ "cc": pairs (bbbb ≻ a), (bbbb ≻ cc), (a ≻ cc)
        var labels = new[] { new RankedCompletions("p", ["a", "bbbb", "cc"], [1, 0, 2], []) };
        var gold = new TableGold(new() { ["a"] = 1, ["bbbb"] = 0, ["cc"] = 1 });
        // gold 0 vs 1: wrong; 0 vs 1: wrong; 1 vs 1: tie, ½ → (0 + 0 + ½)/3
        Assert.Equal(1 / 6.0, LabelCeiling.Agreement(labels, (p, c) => LabelCeiling.Gold(gold, p, c)), 12);
        // utility with bias 100 per 100 characters = gold + len: a 2, bbbb 4, cc 3 → right, right, wrong
        Assert.Equal(2 / 3.0, LabelCeiling.Agreement(labels, (p, c) => LabelCeiling.Utility(gold, 100, p, c)), 12);
        Assert.True(double.IsNaN(LabelCeiling.Agreement([], (p, c) => [])));
    }

    [Fact]
    public void With_a_length_bias_the_labelers_utility_predicts_the_labels_better_than_gold()
    {
        var groups = Enumerable.Range(0, 40).Select(i => new CompletionGroup($"How was day {i}?",
            [$"great day {i}", $"a fine and rather long and winding day number {i}", $"bad day {i}", $"an awful, dreadful, long and boring day {i}"])).ToList();
        var (_, s) = LabelingRun.Label(groups, new LabelingOptions(new SimulatedLabelerConfig(Temperature: 0.05, LengthBias: 2), Labelers: 2, Seed: 3));
        Assert.NotNull(s.LabelCeilingGold);
        Assert.NotNull(s.LabelCeilingUtility);
        Assert.True(s.LabelCeilingUtility > s.LabelCeilingGold + 0.05, $"utility {s.LabelCeilingUtility} vs gold {s.LabelCeilingGold}");
    }
}
