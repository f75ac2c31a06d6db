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

    /// <summary>The records of <c>bench train --preset llama-tiny</c> at batch 2 × 16, one step.</summary>
    private static JsonElement LlamaTrain(params string[] more)
    {
        var (code, output, error) = InProcessCli.Run(["bench", "train", "--preset", "llama-tiny", "--batch", "2", "--seq", "16", "--json", "--repeats", "1", "--warmup", "0", .. more]);
        Assert.True(code == 0, error);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)
            .Single(l => l.GetProperty("bench").GetString() == "train");
    }

    [Fact]
    public void LlamaPreset_Trains_FullLoraAndCheckpointed_WithTheSameFields()
    {
        var full = LlamaTrain();
        Assert.Equal("llama-tiny", full.GetProperty("config").GetString());
        Assert.Equal(2, full.GetProperty("batch").GetInt32());
        Assert.Equal(16, full.GetProperty("seq").GetInt32());
        long parameters = full.GetProperty("params").GetInt64();
        Assert.Equal(Rlhf.Models.LlamaPresets.Get("tiny").ParameterCount, parameters);
        Assert.Equal(parameters, full.GetProperty("trainable_params").GetInt64());
        Assert.True(full.GetProperty("tokens_per_s").GetDouble() > 0);
        var m = full.GetProperty("memory");
        Assert.Equal(parameters * 4 / (1024.0 * 1024.0), m.GetProperty("weights_mb").GetDouble(), 0.1);
        Assert.Equal(m.GetProperty("weights_mb").GetDouble(), m.GetProperty("grads_mb").GetDouble(), 0.1);
        Assert.True(full.GetProperty("peak_rss_mb").GetDouble() > 0);

        // LoRA r 4: only the adapters train (7 projections × 2 layers, each r·(in + out) scalars)
        var lora = LlamaTrain("--lora-r", "4");
        Assert.Equal(4, lora.GetProperty("lora_r").GetInt32());
        long trainable = lora.GetProperty("trainable_params").GetInt64();
        var c = Rlhf.Models.LlamaPresets.Get("tiny");
        long perLayer = 4L * ((c.HiddenSize + c.QueryWidth) + 2 * (c.HiddenSize + c.KvWidth) + (c.QueryWidth + c.HiddenSize)
            + 2 * (c.HiddenSize + c.IntermediateSize) + (c.IntermediateSize + c.HiddenSize));
        Assert.Equal(c.NumLayers * perLayer, trainable);

        var checkpointed = LlamaTrain("--grad-checkpoint", "--lora-r", "4");
        Assert.True(checkpointed.GetProperty("grad_checkpoint").GetBoolean());
        Assert.Equal(trainable, checkpointed.GetProperty("trainable_params").GetInt64());
    }

    [Fact]
    public void UnknownPreset_FailsWithTheChoices()
    {
        var (code, output, error) = InProcessCli.Run("bench", "train", "--preset", "gpt9");
        Assert.NotEqual(0, code);
        Assert.Contains("gpt2-124m", error + output);
    }
}
