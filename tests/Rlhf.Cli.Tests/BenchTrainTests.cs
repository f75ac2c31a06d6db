using System.Text.Json;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf bench train</c>: the JSON line with peak RSS and the memory breakdown (config B, one step: small).</summary>
public class BenchTrainTests
{
    private static JsonElement Train(params string[] more)
    {
        var (code, output, error) = InProcessCli.Run(["bench", "train", "--config", "B", "--json", "--repeats", "1", "--warmup", "0", .. more]);
        Assert.True(code == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(l => l.GetProperty("bench").GetString() == "train");
    }

    [Fact]
    public void Json_HasPeakRss_AndAMemoryBreakdown_CheckpointingHoldsFewerActivations()
    {
        var full = Train();
        Assert.False(full.GetProperty("grad_checkpoint").GetBoolean());
        Assert.Equal(8, full.GetProperty("batch").GetInt32());
        Assert.Equal(128, full.GetProperty("seq").GetInt32());
        var m = full.GetProperty("memory");
        double weights = m.GetProperty("weights_mb").GetDouble();
        Assert.Equal(full.GetProperty("params").GetInt64() * 4 / (1024.0 * 1024.0), weights, 0.1);
        Assert.Equal(2 * weights, m.GetProperty("optimizer_mb").GetDouble(), 0.2);
        Assert.Equal(weights, m.GetProperty("grads_mb").GetDouble(), 0.1); // every parameter got a gradient
        Assert.True(full.GetProperty("peak_rss_mb").GetDouble() >= 4 * weights, "peak RSS below weights + grads + moments");

        // config B (4 blocks) holds its logits-free activations per block; checkpointed, only block inputs and one output each
        var checkpointed = Train("--grad-checkpoint");
        Assert.True(checkpointed.GetProperty("grad_checkpoint").GetBoolean());
        double a = m.GetProperty("activations_mb").GetDouble(), ac = checkpointed.GetProperty("memory").GetProperty("activations_mb").GetDouble();
        Assert.True(ac > 0 && ac < 0.5 * a, $"activations: {ac} MiB checkpointed vs {a} MiB");
    }

    [Fact]
    public void UnknownPreset_FailsWithTheChoices()
    {
        var (code, output, error) = InProcessCli.Run("bench", "train", "--preset", "gpt9");
        Assert.NotEqual(0, code);
        Assert.Contains("gpt2-124m", error + output);
    }
}
