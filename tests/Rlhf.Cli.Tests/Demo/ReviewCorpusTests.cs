using System.Text.Json.Nodes;
using Rlhf.Training.Labeling;
using Xunit;
using Rlhf.Training.Scoring;
using Rlhf.Cli.Demo;
using Rlhf.Training.Tests;

namespace Rlhf.Cli.Tests.Demo;

public sealed class ReviewCorpusTests
{
    [Fact]
    public void Adjectives_PositiveAndNegativeAreLexiconWords_NeutralAreNot()
    {
        Assert.All(ReviewCorpus.Positive, w => Assert.True(LexiconSentimentScorer.PositiveWords.Contains(w), w));
        Assert.All(ReviewCorpus.Negative, w => Assert.True(LexiconSentimentScorer.NegativeWords.Contains(w), w));
        Assert.All(ReviewCorpus.Neutral, w => Assert.False(LexiconSentimentScorer.PositiveWords.Contains(w) || LexiconSentimentScorer.NegativeWords.Contains(w), w));
    }

    [Fact]
    public void Demonstrations_DifferInSentiment_SoLabelersHaveSomethingToRank()
    {
        var corpus = new ReviewCorpus(3);
        var gold = new LexiconSentimentScorer();
        var raw = Enumerable.Range(0, 2_000).Select(_ => gold.Raw(corpus.NextDemonstration().Response)).ToList();
        double mean = raw.Average(), std = Math.Sqrt(raw.Average(r => (r - mean) * (r - mean)));
        Assert.True(std > 1.0, $"gold raw std {std:F2}: reviews barely differ in sentiment");
        Assert.True(raw.Count(r => r > 0) > 200 && raw.Count(r => r < 0) > 200, "both moods must be common");
    }

    [Fact]
    public void Dataset_IsAPureFunctionOfTheSeed_WithDisjointPromptSets()
    {
        using var tmp = new TempDir();
        var c = ReviewDataset.Write(tmp.File("a"), 5, 200, 100, 60, 40, 12);
        ReviewDataset.Write(tmp.File("b"), 5, 200, 100, 60, 40, 12);
        ReviewDataset.Write(tmp.File("c"), 6, 200, 100, 60, 40, 12);
        Assert.Equal(new ReviewDataset.Counts(200, 100, 60, 40, 12), c);
        foreach (string f in new[] { "corpus.txt", "sft.jsonl", "prompts_label.jsonl", "prompts_rl.jsonl", "prompts_eval.jsonl", "tokenizer.txt" })
            Assert.Equal(File.ReadAllBytes(Path.Combine(tmp.File("a"), f)), File.ReadAllBytes(Path.Combine(tmp.File("b"), f)));
        Assert.NotEqual(File.ReadAllText(Path.Combine(tmp.File("a"), "corpus.txt")), File.ReadAllText(Path.Combine(tmp.File("c"), "corpus.txt")));

        HashSet<string> Prompts(string file) => File.ReadLines(Path.Combine(tmp.File("a"), file)).Select(l => (string)JsonNode.Parse(l)!["prompt"]!).ToHashSet();
        var sets = new[] { Prompts("sft.jsonl"), Prompts("prompts_label.jsonl"), Prompts("prompts_rl.jsonl"), Prompts("prompts_eval.jsonl") };
        Assert.Equal(60 + 40 + 12, sets[1].Count + sets[2].Count + sets[3].Count); // distinct within each set
        for (int i = 0; i < sets.Length; i++)
            for (int j = i + 1; j < sets.Length; j++)
                Assert.Empty(sets[i].Intersect(sets[j]));
        Assert.Equal(200, File.ReadAllLines(Path.Combine(tmp.File("a"), "corpus.txt")).Length);
        Assert.All(File.ReadAllLines(Path.Combine(tmp.File("a"), "corpus.txt")), l => Assert.StartsWith("Review of the ", l));
    }
}
