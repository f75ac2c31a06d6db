using System.Text.Json.Nodes;
using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Ppo;
using Rlhf.Training.Rl;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Ppo;

/// <summary>Toy rewards, a fake guard and a tiny PPO setup shared by the PPO tests.</summary>
internal static class PpoTestKit
{
    public static readonly BpeTokenizer Tok = TrainingFixtures.Tokenizer;

    /// <summary>Prompts from the fixture text.</summary>
    public static readonly RlPrompt[] Prompts = new[] { "the cat", "a dog", "the sun", "we read", "birds", "the dog ran" }.Select(p => new RlPrompt(p)).ToArray();

    /// <summary>A tiny PPO config: 8 prompts × 6 tokens, 2 epochs of minibatch 4, a high learning rate.</summary>
    public static PpoConfig Config(string outDir, int iterations) => new()
    {
        OutDir = outDir, MaxSteps = iterations, BatchSize = 8, MinibatchSize = 4, Epochs = 2, MaxNewTokens = 6,
        LearningRate = 3e-3f, Beta = 0.01f, SampleEvery = 2, CheckpointInterval = 2, Seed = 5,
    };

    /// <summary>A fresh tiny policy (context 48) and its frozen copy.</summary>
    public static (Gpt Policy, ICausalLm Reference) Models(ulong seed = 3)
    {
        var policy = new Gpt(TrainingFixtures.TinyModel(context: 48), seed);
        return (policy, ModelCopy.Of(policy));
    }
}

/// <summary>"Say token X": the fraction of the response's tokens (re-encoded) that are <c>x</c>, a byte the fixture text never merges.</summary>
internal sealed class SayTokenReward : IRewardFunction
{
    private readonly int _x = PpoTestKit.Tok.Encode("x").Single();

    public string Name => "say-x";

    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch) =>
        batch.Select(r =>
        {
            var ids = PpoTestKit.Tok.Encode(r.Completion);
            return new RewardOutcome(ids.Length == 0 ? 0f : (float)ids.Count(i => i == _x) / ids.Length);
        }).ToList();
}

/// <summary>Returns NaN (or +∞) for every <c>period</c>-th sample it ever scores, else a constant-ish reward.</summary>
internal sealed class PoisonedReward(int period, bool all = false) : IRewardFunction
{
    private int _seen;

    public string Name => "poisoned";

    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch) =>
        batch.Select(r => new RewardOutcome(all || _seen++ % period == 0 ? (_seen % 2 == 0 ? float.NaN : float.PositiveInfinity) : r.Completion.Length / 10f)).ToList();
}

/// <summary>A guard that calls iteration <c>bestAt</c> best and stops at <c>stopAt</c>; its state counts observations.</summary>
internal sealed class FakeGuard(int bestAt, int stopAt) : IRunGuard
{
    public int Observed { get; private set; }
    public List<int> Iterations { get; } = [];

    public GuardVerdict Observe(int iteration, IReadOnlyDictionary<string, double> metrics)
    {
        Assert.True(metrics.ContainsKey(RlMetricNames.ProxyReward) && metrics.ContainsKey(RlMetricNames.Kl));
        Observed++;
        Iterations.Add(iteration);
        return new GuardVerdict(iteration == bestAt, iteration == stopAt, iteration == stopAt ? $"fake monitor fired after {Observed} observations" : null);
    }

    public JsonNode SaveState() => new JsonObject { ["observed"] = Observed };

    public void LoadState(JsonNode state) => Observed = state["observed"]!.GetValue<int>();
}
