using Rlhf.Training.Ppo;
using Rlhf.Training.Rl;
using Rlhf.Training.Tests.Common;
using Xunit.Abstractions;
using Rlhf.Data.Metrics;

namespace Rlhf.Training.Tests.Ppo;

/// <summary>PPO end to end on a toy task: the policy must learn to "say x" (reward = fraction of x tokens).</summary>
public sealed class PpoToyTests(ITestOutputHelper output) : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Toy_reward_say_x_rises_decisively()
    {
        var config = PpoTestKit.Config(_tmp.File("toy"), 20) with { BatchSize = 16, MinibatchSize = 8, Epochs = 4, LearningRate = 2e-2f, Beta = 0f, SampleEvery = 0, CheckpointInterval = 0, SharedCritic = true };
        var (policy, reference) = PpoTestKit.Models();
        var result = new PpoTrainer(config, PpoTestKit.Tok, policy, reference, new SayTokenReward(), PpoTestKit.Prompts, TextWriter.Null, TrainingFixtures.Quiet).Run();
        var rewards = MetricsReader.Series(MetricsReader.Read(_tmp.File("toy/metrics.jsonl")), RlMetricNames.ProxyReward).Select(s => s.Value).ToList();
        output.WriteLine(string.Join(" ", rewards.Select(r => r.ToString("F2"))));
        output.WriteLine(File.ReadLines(_tmp.File("toy/metrics.jsonl")).Last());
        Assert.Equal(20, result.Iteration);
        Assert.True(rewards.Take(3).Average() < 0.1, $"start {rewards.Take(3).Average()}");
        Assert.True(rewards.TakeLast(3).Average() > 0.5, $"end {rewards.TakeLast(3).Average()}");
    }
}
