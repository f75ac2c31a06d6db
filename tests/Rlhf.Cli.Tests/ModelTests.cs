using Rlhf.Models;
using Rlhf.Models.Checkpoints;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf model init</c> and <c>rlhf model info</c> in-process.</summary>
public sealed class ModelTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("llama")]
    [InlineData("qwen2")]
    [InlineData("qwen3")]
    public void InitTiny_ThenInfo_DescribesTheModel_AndItLoads(string family)
    {
        string dir = Path.Combine(_dir, family);
        var init = InProcessCli.Run("model", "init", "--family", family, "--preset", "tiny", "--out", dir, "--seed", "3");
        Assert.True(init.Code == 0, init.Err);
        var model = Assert.IsType<Llama>(CausalLmCheckpoint.Load(dir));
        Assert.Equal(family, model.ModelType);
        Assert.Equal(LlamaPresets.Get("tiny", family), model.Config);

        File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), "{\"chat_template\": \"{% for m in messages %}<|im_start|>{{ m.role }}\\n{% endfor %}\"}");
        var info = InProcessCli.Run("model", "info", dir);
        Assert.True(info.Code == 0, info.Err);
        Assert.Contains($"family:       {family}", info.Out);
        Assert.Contains($"parameters:   {model.ParameterCount:N0}", info.Out);
        Assert.Contains("dtype:        F32", info.Out);
        Assert.Contains("context:      256 tokens", info.Out);
        Assert.Contains("4 heads × 16 (2 K/V heads)", info.Out);
        Assert.Contains("template:     ChatML", info.Out);
        Assert.Contains("tokenizer:    tokenizer_config.json", info.Out);
    }

    [Fact]
    public void Info_OnGpt2_ReportsLearnedPositionsAndNoTemplate()
    {
        var gpt = new Gpt(GptConfig.Tiny());
        gpt.Save(_dir);
        var info = InProcessCli.Run("model", "info", _dir);
        Assert.True(info.Code == 0, info.Err);
        Assert.Contains("family:       gpt2", info.Out);
        Assert.Contains($"parameters:   {gpt.ParameterCount:N0}", info.Out);
        Assert.Contains("positions:    learned", info.Out);
        Assert.Contains("template:     none", info.Out);
    }

    [Fact]
    public void Init_RefusesToOverwrite_AndAFamilyThatIsNotThePresets()
    {
        Assert.Equal(0, InProcessCli.Run("model", "init", "--preset", "tiny", "--out", _dir).Code);
        var again = InProcessCli.Run("model", "init", "--preset", "tiny", "--out", _dir);
        Assert.Equal(1, again.Code);
        Assert.Contains("already exists", again.Err);
        var mismatch = InProcessCli.Run("model", "init", "--family", "qwen3", "--preset", "qwen2.5-0.5b", "--out", Path.Combine(_dir, "x"));
        Assert.Equal(1, mismatch.Code);
        Assert.Contains("preset \"qwen2.5-0.5b\" is a qwen2 model, not qwen3", mismatch.Err);
        Assert.NotEqual(0, InProcessCli.Run("model", "init", "--preset", "gpt5", "--out", Path.Combine(_dir, "y")).Code);
    }

    [Fact]
    public void Info_UnsupportedModelType_NamesFileAndField()
    {
        File.WriteAllText(Path.Combine(_dir, "config.json"), "{\"model_type\": \"mamba\"}");
        var (code, _, err) = InProcessCli.Run("model", "info", _dir);
        Assert.Equal(1, code);
        Assert.Contains(Path.Combine(_dir, "config.json"), err);
        Assert.Contains("\"model_type\" is \"mamba\"", err);
        Assert.DoesNotContain("   at ", err);
    }
}
