using Rlhf.Models;
using Rlhf.Models.Checkpoints;

namespace Rlhf.Models.Tests.Checkpoints;

/// <summary>config.json sizes are checked (in 64-bit, against array and memory limits) before anything is allocated; unknown activations are refused.</summary>
public class ConfigLimitsTests
{
    private static string ConfigDir(string json)
    {
        string dir = Path.Combine(Path.GetTempPath(), "rlhf-cfg-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "config.json"), json);
        return dir;
    }

    private static string Gpt2Json(int layers = 2, int heads = 2, int embd = 16, long positions = 32, int vocab = 64, string activation = "gelu_new") =>
        $$"""{"model_type": "gpt2", "n_layer": {{layers}}, "n_head": {{heads}}, "n_embd": {{embd}}, "n_positions": {{positions}}, "vocab_size": {{vocab}}, "activation_function": "{{activation}}"}""";

    [Fact]
    public void WeightCount_MatchesTheBuiltModel()
    {
        Assert.Equal(new Gpt(GptConfig.A).ParameterCount, GptConfig.A.WeightCount);
        Assert.Equal(new Gpt(GptConfig.Tiny()).ParameterCount, GptConfig.Tiny().WeightCount);
    }

    [Fact]
    public void HugePositions_ClearError_NotOverflow()
    {
        var e = Assert.Throws<InvalidDataException>(() => HfCheckpoint.ReadConfig(ConfigDir(Gpt2Json(positions: 1_000_000_000, embd: 768, heads: 12))));
        Assert.Contains("config.json", e.Message);
        Assert.Contains("n_positions", e.Message);
    }

    [Fact]
    public void HugeWidth_ClearError_NotOverflow()
    {
        var e = Assert.Throws<InvalidDataException>(() => HfCheckpoint.ReadConfig(ConfigDir(Gpt2Json(embd: 50_000, heads: 10))));
        Assert.Contains("MLP weight", e.Message);
    }

    [Fact]
    public void ManyLayers_ExceedingMemory_ClearError()
    {
        // each tensor fits an array, but 10⁵ layers of d = 4096 would need ~80 TB
        var e = Assert.Throws<InvalidDataException>(() => HfCheckpoint.ReadConfig(ConfigDir(Gpt2Json(layers: 100_000, embd: 4096, heads: 32))));
        Assert.Contains("GiB", e.Message);
    }

    [Theory]
    [InlineData("relu")]
    [InlineData("gelu")]
    [InlineData("swish")]
    public void UnknownActivation_Refused(string activation)
    {
        var e = Assert.Throws<InvalidDataException>(() => HfCheckpoint.ReadConfig(ConfigDir(Gpt2Json(activation: activation))));
        Assert.Contains("activation_function", e.Message);
        Assert.Contains(activation, e.Message);
    }

    [Theory]
    [InlineData("gelu_new")]
    [InlineData("gelu_pytorch_tanh")]
    public void TanhGelu_Accepted(string activation) =>
        Assert.Equal(16, HfCheckpoint.ReadConfig(ConfigDir(Gpt2Json(activation: activation))).NEmbd);
}
