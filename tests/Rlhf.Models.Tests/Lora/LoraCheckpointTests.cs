using System.Text.Json.Nodes;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Lora;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Models.Tests.Lora;

/// <summary>PEFT adapter files: key names and config fields, round trip, merge into a full checkpoint.</summary>
public sealed class LoraCheckpointTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rlhf-lora-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    private static float[] Logits(ICausalLm model, int[] ids)
    {
        using var noGrad = Tensor.NoGrad();
        return model.Logits(model.Forward(ids, 1, ids.Length)).ToArray();
    }

    /// <summary>A base model saved to disk and an adapted copy of it (random B), with the adapters saved too.</summary>
    private (string Base, string Adapter, ICausalLm Adapted) SaveBaseAndAdapter(string family, LoraConfig config)
    {
        string baseDir = Path.Combine(_dir, "base"), adapterDir = Path.Combine(_dir, "adapter");
        LoraTests.Make(family).Save(baseDir);
        var model = LoraTests.Make(family);
        var adapters = LoraAdapters.Attach(model, config, seed: 3, baseModelPath: baseDir);
        LoraTests.Perturb(adapters, 11);
        LoraCheckpoint.Save(adapterDir, adapters);
        return (baseDir, adapterDir, model);
    }

    [Fact]
    public void Llama_AdapterFiles_HavePeftKeyNamesAndConfigFields()
    {
        var (baseDir, adapterDir, _) = SaveBaseAndAdapter("qwen2", new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.05f, Targets = ["q_proj", "v_proj"] });
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapterDir, "adapter_config.json")))!.AsObject();
        Assert.Equal("LORA", (string)config["peft_type"]!);
        Assert.Equal("CAUSAL_LM", (string)config["task_type"]!);
        Assert.Equal(4, (int)config["r"]!);
        Assert.Equal(8.0, (double)config["lora_alpha"]!);
        Assert.Equal(0.05, (double)config["lora_dropout"]!, 6);
        Assert.Equal(new[] { "q_proj", "v_proj" }, config["target_modules"]!.AsArray().Select(n => (string)n!));
        Assert.False((bool)config["fan_in_fan_out"]!);
        Assert.Equal("none", (string)config["bias"]!);
        Assert.Equal(baseDir, (string)config["base_model_name_or_path"]!);
        var file = Safetensors.Load(Path.Combine(adapterDir, "adapter_model.safetensors"));
        Assert.Equal(8, file.Tensors.Count);
        var a = file.Get("base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight");
        var b = file.Get("base_model.model.model.layers.1.self_attn.v_proj.lora_B.weight");
        Assert.Equal(new[] { 4, 64 }, a.ShapeArray());
        Assert.Equal(4, b.Shape[1]);
        Assert.Equal("pt", file.Metadata["format"]);
    }

    [Fact]
    public void Gpt2_AdapterFiles_UseTransformerPrefixAndFanInFanOut()
    {
        var (_, adapterDir, _) = SaveBaseAndAdapter("gpt2", new LoraConfig { Rank = 2 });
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(adapterDir, "adapter_config.json")))!.AsObject();
        Assert.True((bool)config["fan_in_fan_out"]!);
        Assert.Equal(new[] { "c_attn", "c_proj", "c_fc" }, config["target_modules"]!.AsArray().Select(n => (string)n!));
        var keys = Safetensors.Load(Path.Combine(adapterDir, "adapter_model.safetensors")).Tensors.Keys.ToHashSet();
        Assert.Contains("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", keys);
        Assert.Contains("base_model.model.transformer.h.1.mlp.c_proj.lora_B.weight", keys);
        Assert.Contains("base_model.model.transformer.h.1.attn.c_proj.lora_B.weight", keys);
        Assert.Equal(2 * 4 * 2, keys.Count);
    }

    [Theory]
    [MemberData(nameof(LoraTests.Families), MemberType = typeof(LoraTests))]
    public void Reloaded_BasePlusAdapter_AndMergedCheckpoint_GiveTheSameLogits(string family)
    {
        var (baseDir, adapterDir, adapted) = SaveBaseAndAdapter(family, new LoraConfig { Rank = 4, Alpha = 16 });
        var ids = ModelTestData.RandomIds(6, 8, adapted.VocabSize);
        var expected = Logits(adapted, ids);
        var (reloaded, adapters) = LoraCheckpoint.Load(adapterDir, null, out var extra);
        Assert.Empty(extra);
        Assert.Equal(expected, Logits(reloaded, ids));
        Assert.All(reloaded.Parameters(), p => Assert.False(p.RequiresGrad));
        Assert.All(adapters.Parameters(), p => Assert.True(p.RequiresGrad));
        void Close(float[] actual)
        {
            for (int i = 0; i < actual.Length; i++) Assert.True(Math.Abs(actual[i] - expected[i]) <= 1e-5, $"logit {i}: {actual[i]} vs {expected[i]}");
        }
        Close(Logits(CausalLmCheckpoint.Load(adapterDir), ids)); // an adapter directory loads merged wherever a model is read
        string merged = Path.Combine(_dir, "merged");
        LoraMerge.Run(adapterDir, baseDir, merged);
        Assert.True(File.Exists(Path.Combine(merged, "config.json")));
        Close(Logits(CausalLmCheckpoint.Load(merged), ids));
        Assert.Throws<IOException>(() => LoraMerge.Run(adapterDir, baseDir, merged)); // never overwrites a model
    }

    [Fact]
    public void UnsupportedConfig_IsRefused_NamingFileAndField()
    {
        var (_, adapterDir, _) = SaveBaseAndAdapter("gpt2", new LoraConfig { Rank = 2 });
        string path = Path.Combine(adapterDir, "adapter_config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        config["bias"] = "all";
        File.WriteAllText(path, config.ToJsonString());
        var e = Assert.Throws<InvalidDataException>(() => LoraCheckpoint.ReadConfig(adapterDir));
        Assert.Contains(path, e.Message);
        Assert.Contains("\"bias\"", e.Message);
    }

    [Fact]
    public void MisShapedAdapterTensor_IsNamed_AndTheModelKeepsNoAdapters()
    {
        var (_, adapterDir, _) = SaveBaseAndAdapter("gpt2", new LoraConfig { Rank = 2 });
        string path = Path.Combine(adapterDir, "adapter_config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        config["r"] = 3;
        File.WriteAllText(path, config.ToJsonString());
        var model = LoraTests.TinyGpt();
        var e = Assert.Throws<InvalidDataException>(() => LoraCheckpoint.LoadInto(model, adapterDir, out _));
        Assert.Contains("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", e.Message);
        Assert.Null(LoraAdapters.Find(model));
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad));
    }
}
