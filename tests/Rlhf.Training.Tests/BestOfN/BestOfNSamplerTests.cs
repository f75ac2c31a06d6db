using Rlhf.Models;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Training.BestOfN;
using Rlhf.Training.Rl;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.BestOfN;

public class BestOfNSamplerTests
{
    /// <summary>A toy reward: the number of letters 'a' (and a note for empty responses).</summary>
    private sealed class CountA : IRewardFunction
    {
        public string Name => "count-a";
        public int Calls { get; private set; }
        public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
        {
            Calls++;
            return [.. batch.Select(r => new RewardOutcome(r.Completion.Count(c => c == 'a'), null, r.Completion.Length == 0 ? "empty" : null))];
        }
    }

    [Fact]
    public void Selects_the_proxys_argmax_per_prompt_reproducibly_and_writes_sft_examples()
    {
        var model = new Gpt(TrainingFixtures.TinyModel(context: 48), seed: 4);
        var template = new ChatTemplate(TrainingFixtures.Tokenizer);
        RlPrompt[] prompts = [new("the cat"), new("a dog ran"), new("birds")];
        var config = new GenerationConfig(MaxNewTokens: 8);
        var proxy = new CountA();
        var groups = BestOfNSampler.Run(model, template, prompts, 5, config, proxy, new GoldScorerReward(new Rlhf.Training.Scoring.LexiconSentimentScorer()), new Rng(7), maxBatch: 4);
        Assert.Equal(3, groups.Count);
        Assert.Equal(4, proxy.Calls);                             // 15 samples scored in batches of 4
        foreach (var (g, p) in groups.Zip(prompts))
        {
            Assert.Same(p, g.Prompt);
            Assert.Equal(5, g.Candidates.Count);
            Assert.All(g.Candidates, c => Assert.NotNull(c.Gold));
            var scores = g.Candidates.Select(c => c.Proxy).ToArray();
            Assert.Equal(scores.Max(), g.Best.Proxy);
            Assert.Equal(Array.IndexOf(scores, scores.Max()), g.BestIndex);
            Assert.All(g.Candidates, c => Assert.Equal(c.Sample.CompletionText.Count(ch => ch == 'a'), c.Proxy));
        }
        var again = BestOfNSampler.Run(model, template, prompts, 5, config, new CountA(), null, new Rng(7), maxBatch: 4);
        Assert.Equal(groups.Select(g => g.Best.Sample.CompletionText), again.Select(g => g.Best.Sample.CompletionText));

        var sft = BestOfNSampler.SftExamples(groups, out int skipped);
        Assert.Equal(3, sft.Count + skipped);
        Assert.All(sft, e => Assert.Null(e.Validate()));
        Assert.Throws<ArgumentOutOfRangeException>(() => BestOfNSampler.Run(model, template, prompts, 0, config, proxy, null, new Rng(1)));
    }

    [Fact]
    public void ArgMax_takes_the_first_of_equal_scores_and_skips_nan()
    {
        Assert.Equal(1, BestOfNSampler.ArgMax([0.0, 2.0, 2.0]));
        Assert.Equal(2, BestOfNSampler.ArgMax([double.NaN, -1.0, 3.0]));
        Assert.Throws<ArgumentException>(() => BestOfNSampler.ArgMax([]));
    }
}
