using Rlhf.Models.Checkpoints;
using Rlhf.Training.Common;
using Rlhf.Training.Logging;
using Rlhf.Training.Ppo;
using Rlhf.Training.Rl;
using Rlhf.Training.Tests.Common;
using Xunit.Abstractions;

namespace Rlhf.Training.Tests.Ppo;

public sealed class PpoTrainerTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private PpoTrainer Trainer(PpoConfig config, IRewardFunction reward, ulong seed = 3, IRunGuard? guard = null, Action<int>? after = null)
    {
        var (policy, reference) = PpoTestKit.Models(seed);
        return new PpoTrainer(config, PpoTestKit.Tok, policy, reference, reward, PpoTestKit.Prompts, TextWriter.Null, TrainingFixtures.Quiet)
            { Guard = guard, AfterIteration = after };
    }

    [Fact]
    public void Toy_reward_say_x_rises_decisively()
    {
        var config = PpoTestKit.Config(_tmp.File("toy"), 25) with { BatchSize = 16, MinibatchSize = 8, Epochs = 4, LearningRate = 2e-2f, KlCoef = 0f, SampleEvery = 0, CheckpointInterval = 0 };
        var result = Trainer(config, new SayTokenReward()).Run();
        var rewards = MetricsReader.Series(MetricsReader.Read(_tmp.File("toy/metrics.jsonl")), RlMetricNames.ProxyReward).Select(s => s.Value).ToList();
        output.WriteLine(string.Join(" ", rewards.Select(r => r.ToString("F2"))));
        foreach (var e in MetricsReader.Read(_tmp.File("toy/metrics.jsonl")).Take(3)) output.WriteLine(string.Join(" ", e.Values.Where(kv => kv.Key.StartsWith("time")).Select(kv => $"{kv.Key}={kv.Value:F3}")));
        Assert.Equal(25, result.Iteration);
        Assert.True(rewards.Take(3).Average() < 0.1, $"start {rewards.Take(3).Average()}");
        Assert.True(rewards.TakeLast(3).Average() > 0.5, $"end {rewards.TakeLast(3).Average()}");
    }
}
