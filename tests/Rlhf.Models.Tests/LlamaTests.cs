using System.Diagnostics;
using System.Text.Json;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Generation;
using Rlhf.Tensors;

namespace Rlhf.Models.Tests;

/// <summary>
/// The Llama-family decoder against an independent PyTorch forward (tests/reference/llama_reference.py, written
/// from transformers' modeling code), on tiny random configs of each family, plus KV-cache decoding, dtypes,
/// sharding and save → load.
/// </summary>
public sealed class LlamaTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rlhf-llama-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_dir)) Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Llama 3 with llama3 rope scaling whose bands all occur (wavelengths 6, 63, 628, 6283 vs 16 and 64), GQA, untied head.</summary>
    public static LlamaConfig Llama3Tiny => LlamaConfig.ForFamily("llama", hiddenSize: 32, intermediateSize: 48, numLayers: 2, numHeads: 4,
        numKvHeads: 2, vocabSize: 40, maxPositions: 64, ropeTheta: 10000, tieWordEmbeddings: false, rmsNormEps: 1e-5f,
        ropeScaling: new RopeScaling("llama3", Factor: 8, LowFreqFactor: 1, HighFreqFactor: 4, OriginalMaxPositions: 64));

    /// <summary>Qwen2: q/k/v bias, one K/V head for four query heads, tied embeddings.</summary>
    public static LlamaConfig Qwen2Tiny => LlamaConfig.ForFamily("qwen2", hiddenSize: 32, intermediateSize: 40, numLayers: 2, numHeads: 4,
        numKvHeads: 1, vocabSize: 40, maxPositions: 64, ropeTheta: 1_000_000, tieWordEmbeddings: true);

    /// <summary>Qwen3: per-head q/k RMSNorm, head_dim 12 ≠ hidden/heads, untied.</summary>
    public static LlamaConfig Qwen3Tiny => LlamaConfig.ForFamily("qwen3", hiddenSize: 32, intermediateSize: 40, numLayers: 2, numHeads: 4,
        numKvHeads: 2, vocabSize: 40, maxPositions: 64, ropeTheta: 1_000_000, tieWordEmbeddings: false, headDim: 12);

    /// <summary>Qwen3 with tied embeddings and attention bias on q/k/v/o.</summary>
    public static LlamaConfig Qwen3TiedBias => Qwen3Tiny with { TieWordEmbeddings = true, QkvBias = true, OutputBias = true };

    public static TheoryData<string> Families => ["llama3", "qwen2", "qwen3", "qwen3-tied-bias"];

    private static LlamaConfig ConfigOf(string family) => family switch
    {
        "llama3" => Llama3Tiny,
        "qwen2" => Qwen2Tiny,
        "qwen3" => Qwen3Tiny,
        _ => Qwen3TiedBias,
    };

    /// <summary>
    /// A model whose norms and biases are random too (fresh ones are 1 and 0, which would hide mistakes in them) and
    /// whose weights are 10× the init scale, so attention is far from uniform and logits are O(1): a wrong rotation,
    /// grouping or norm shows as a large difference, not one lost in tiny values.
    /// </summary>
    public static Llama RandomModel(LlamaConfig config, ulong seed)
    {
        var model = new Llama(config, seed);
        var rng = new Rng(seed + 100);
        foreach (var p in model.Parameters())
        {
            bool norm = p.Name!.EndsWith("norm.weight", StringComparison.Ordinal), bias = p.Name.EndsWith(".bias", StringComparison.Ordinal);
            var span = p.Span;
            if (!norm && !bias)
            {
                for (int i = 0; i < span.Length; i++) span[i] *= 10f;
                continue;
            }
            var noise = Tensor.Randn(rng, 0.3f, p.ShapeArray()).Span;
            for (int i = 0; i < span.Length; i++) span[i] = (norm ? 1f : 0f) + noise[i];
        }
        return model;
    }

    private static float[] LogitsOf(ICausalLm model, int[] ids, int batch, int time)
    {
        using var _ = Tensor.NoGrad();
        return model.Logits(model.Forward(ids, batch, time)).ToArray();
    }

    private static double MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int i = 0; i < a.Length; i++) max = Math.Max(max, Math.Abs(a[i] - b[i]));
        return max;
    }

    /// <summary>Runs the PyTorch reference on a saved checkpoint and returns its logits flattened (B·T·V).</summary>
    private static float[] ReferenceLogits(string directory, int[] ids, int batch, int time)
    {
        var rows = Enumerable.Range(0, batch).Select(b => ids[(b * time)..((b + 1) * time)]).ToArray();
        var psi = new ProcessStartInfo(TorchFactAttribute.Python, [ScriptPath, directory, JsonSerializer.Serialize(rows)])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        Assert.True(p.WaitForExit(300_000), "reference script timed out");
        Assert.True(p.ExitCode == 0, $"reference script failed: {stderr.Result}");
        var logits = JsonSerializer.Deserialize<float[][][]>(stdout.Result)!;
        return logits.SelectMany(r => r.SelectMany(t => t)).ToArray();
    }

    private static string ScriptPath
    {
        get
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "tests", "reference", "llama_reference.py");
                if (File.Exists(candidate)) return candidate;
            }
            throw new FileNotFoundException("tests/reference/llama_reference.py not found above " + AppContext.BaseDirectory);
        }
    }

    [TorchFact]
    public void Logits_MatchPyTorchReference_ForEachFamily()
    {
        // one test runs all families so python starts torch once per family, not per xunit case
        var report = new List<string>();
        ulong seed = 1;
        foreach (var family in Families)
        {
            var model = RandomModel(ConfigOf(family), seed++);
            string dir = Path.Combine(_dir, family);
            model.Save(dir);
            int B = 2, T = 7;
            var ids = ModelTestData.RandomIds(seed, B * T, model.VocabSize);
            var ours = LogitsOf(model, ids, B, T);
            double diff = MaxAbsDiff(ours, ReferenceLogits(dir, ids, B, T)), scale = ours.Max(Math.Abs);
            report.Add($"{family}: max |Δ| = {diff:E2} (max |logit| {scale:F1})");
            Assert.True(scale > 1, $"{family}: logits too small ({scale}) for the comparison to mean much");
            Assert.True(diff <= 1e-4, $"{family}: logits differ from the PyTorch reference by {diff:E3} (> 1e-4)");
        }
        Console.WriteLine("Llama-family vs PyTorch reference: " + string.Join(", ", report));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void KvCacheDecoding_EqualsFullRecompute_WithGqaAndLeftPadding(string family)
    {
        var model = RandomModel(ConfigOf(family), 5);
        int eot = model.VocabSize - 1;
        var prompts = new[] { ModelTestData.RandomIds(1, 5, eot), ModelTestData.RandomIds(2, 9, eot), ModelTestData.RandomIds(3, 1, eot) };
        var results = Generator.Generate(model, prompts, eot, new GenerationConfig(MaxNewTokens: 10, Temperature: 1f, StopAtEndOfText: false), new Rng(11));
        int V = model.VocabSize;
        foreach (var r in results)
        {
            int[] seq = [.. r.Prompt, .. r.Completion];
            var logits = LogitsOf(model, seq, 1, seq.Length);
            for (int i = 0; i < r.Completion.Length; i++)
            {
                var row = logits.AsSpan((r.Prompt.Length - 1 + i) * V, V);
                double max = double.NegativeInfinity, z = 0;
                foreach (float v in row) max = Math.Max(max, v);
                foreach (float v in row) z += Math.Exp(v - max);
                double expected = row[r.Completion[i]] - max - Math.Log(z);
                Assert.True(Math.Abs(expected - r.LogProbs[i]) < 2e-4, $"{family} token {i}: cached log-prob {r.LogProbs[i]} vs full {expected}");
            }
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Gradients_MatchFiniteDifferences_ThroughTheWholeModel(string family)
    {
        // every op is grad-checked on its own; this checks their composition (GQA repeat, q/k norm, rope, tying)
        var model = RandomModel(ConfigOf(family) with { NumLayers = 1 }, 8);
        int B = 2, T = 5;
        var ids = ModelTestData.RandomIds(8, B * T, model.VocabSize);
        var targets = ModelTestData.RandomIds(9, B * T, model.VocabSize);
        float Loss() => Ops.CrossEntropy(model.Logits(model.Forward(ids, B, T)), targets).Item();
        Ops.CrossEntropy(model.Logits(model.Forward(ids, B, T)), targets).Backward();
        var rng = new Rng(10);
        foreach (var p in model.Parameters())
        {
            var grad = p.Grad!.ToArray();
            for (int probe = 0; probe < 3; probe++)
            {
                int i = rng.NextInt(p.Size);
                float saved = p.Span[i];
                const float h = 1e-2f;
                double plus, minus;
                using (Tensor.NoGrad())
                {
                    p.Span[i] = saved + h; plus = Loss();
                    p.Span[i] = saved - h; minus = Loss();
                }
                p.Span[i] = saved;
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - grad[i]) <= 2e-3 + 5e-2 * Math.Abs(numeric),
                    $"{family} {p.Name}[{i}]: analytic {grad[i]}, numeric {numeric}");
            }
        }
    }

    [Fact]
    public void TinyModel_OverfitsOneBatch()
    {
        var model = new Llama(Llama3Tiny, seed: 3);
        var (first, last) = ModelTestData.OverfitOneBatch(model);
        Assert.InRange(first, 3.3f, 4.1f); // ≈ ln 40 = 3.69 at init
        Assert.True(last < 0.05f, $"loss after 150 steps is {last}");
    }

    [Fact]
    public void KvCache_StoresTheGroupedHeads()
    {
        var model = new Llama(Qwen2Tiny);
        var cache = model.NewCache(batch: 2, capacity: 8);
        Assert.Equal(Qwen2Tiny.NumKvHeads * Qwen2Tiny.HeadDim, cache.KvWidth);
        Assert.Equal(2 * 8 * 8, cache.Layer(0).K.Length);
    }

    [Fact]
    public void LeftPaddedBatch_GivesTheUnpaddedLogits()
    {
        var model = RandomModel(Llama3Tiny, 9);
        var ids = ModelTestData.RandomIds(3, 4, model.VocabSize);
        int V = model.VocabSize;
        var alone = LogitsOf(model, ids, 1, 4);
        int[] padded = [0, 0, .. ids];
        bool[] mask = [false, false, true, true, true, true];
        using var _ = Tensor.NoGrad();
        var logits = model.Logits(model.Forward(padded, 1, 6, mask)).ToArray();
        Assert.True(MaxAbsDiff(alone, logits[(2 * V)..]) < 1e-5);
    }

    [Fact]
    public void SaveLoad_GivesIdenticalLogits_AndSameKeysAsHf()
    {
        var model = RandomModel(Qwen3Tiny, 3);
        model.Save(_dir);
        var loaded = Assert.IsType<Llama>(CausalLmCheckpoint.Load(_dir));
        Assert.Equal(model.Config, loaded.Config);
        var ids = ModelTestData.RandomIds(4, 12, model.VocabSize);
        Assert.Equal(LogitsOf(model, ids, 2, 6), LogitsOf(loaded, ids, 2, 6));
        var keys = Tensors.Serialization.Safetensors.Load(Path.Combine(_dir, "model.safetensors")).Tensors.Keys.ToHashSet();
        Assert.Contains("model.layers.1.self_attn.q_norm.weight", keys);
        Assert.Contains("lm_head.weight", keys);
        Assert.Contains("model.norm.weight", keys);
        using var config = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "config.json")));
        Assert.Equal("Qwen3ForCausalLM", config.RootElement.GetProperty("architectures")[0].GetString());
        Assert.Equal(12, config.RootElement.GetProperty("head_dim").GetInt32());
    }

    [Fact]
    public void ShardedLoad_EqualsSingleFileLoad()
    {
        var model = RandomModel(Llama3Tiny, 4);
        string single = Path.Combine(_dir, "single"), sharded = Path.Combine(_dir, "sharded");
        model.Save(single);
        LlamaCheckpoint.Save(sharded, model, maxShardBytes: 8_000);
        Assert.False(File.Exists(Path.Combine(sharded, "model.safetensors")));
        Assert.True(Directory.GetFiles(sharded, "model-*-of-*.safetensors").Length > 2);
        var ids = ModelTestData.RandomIds(5, 10, model.VocabSize);
        Assert.Equal(LogitsOf(LlamaCheckpoint.Load(single), ids, 2, 5), LogitsOf(LlamaCheckpoint.Load(sharded), ids, 2, 5));
        // saving single-file over a sharded checkpoint removes the shards and the index
        model.Save(sharded);
        Assert.Empty(Directory.GetFiles(sharded, "model-*-of-*.safetensors"));
        Assert.False(File.Exists(Path.Combine(sharded, LlamaCheckpoint.IndexFile)));
    }

    [Theory]
    [InlineData("BF16", 5e-2)] // 8-bit significand: each weight within 2⁻⁹ relative
    [InlineData("F16", 5e-3)]  // 11-bit significand: 2⁻¹²
    public void HalfPrecisionLoad_EqualsF32WithinRounding(string dtype, double relativeTolerance)
    {
        var model = RandomModel(Qwen2Tiny, 6);
        string f32 = Path.Combine(_dir, "f32"), half = Path.Combine(_dir, dtype);
        model.Save(f32);
        Directory.CreateDirectory(half);
        File.Copy(Path.Combine(f32, "config.json"), Path.Combine(half, "config.json"));
        HalfSafetensors.Write(Path.Combine(f32, "model.safetensors"), Path.Combine(half, "model.safetensors"), dtype);
        Assert.Equal([dtype], LlamaCheckpoint.StoredDTypes(half));
        var loaded = LlamaCheckpoint.Load(half);
        // each weight is the F32 one rounded to the half format
        var original = model.Parameters().ToDictionary(p => p.Name!);
        foreach (var p in loaded.Parameters())
        {
            var a = original[p.Name!].ToArray(); var b = p.ToArray();
            for (int i = 0; i < a.Length; i++)
                Assert.Equal(HalfSafetensors.Round(a[i], dtype), b[i]);
        }
        var ids = ModelTestData.RandomIds(6, 12, model.VocabSize);
        var reference = LogitsOf(model, ids, 2, 6);
        double diff = MaxAbsDiff(reference, LogitsOf(loaded, ids, 2, 6)), scale = reference.Max(Math.Abs);
        Assert.True(diff < relativeTolerance * scale, $"{dtype} logits differ from F32 by {diff} (max |logit| {scale})");
        Assert.True(diff > 0, "the rounded weights should change the logits a little");
    }

    [Fact]
    public void Load_NamesEveryMissingMisshapedAndUnknownTensor()
    {
        var model = new Llama(Llama3Tiny);
        var tensors = model.Parameters().Where(p => p.Name != "model.layers.1.mlp.up_proj.weight").ToDictionary(p => p.Name!);
        tensors["model.norm.weight"] = Tensor.Zeros(31);
        tensors["model.layers.0.mlp.gate_proj.bias"] = Tensor.Zeros(48);
        Directory.CreateDirectory(_dir);
        Tensors.Serialization.Safetensors.Save(Path.Combine(_dir, "model.safetensors"), tensors);
        File.WriteAllText(Path.Combine(_dir, "config.json"), LlamaConfigJson.Write(Llama3Tiny));
        var e = Assert.Throws<InvalidDataException>(() => LlamaCheckpoint.Load(_dir));
        Assert.Contains("missing tensor 'model.layers.1.mlp.up_proj.weight'", e.Message);
        Assert.Contains("'model.norm.weight' has shape [31], expected [32]", e.Message);
        Assert.Contains("unknown tensor 'model.layers.0.mlp.gate_proj.bias'", e.Message);
        Assert.Contains("model.safetensors", e.Message);
    }

    [Theory]
    [InlineData("\"model_type\": \"mistral\"", "\"model_type\" is \"mistral\"")]
    [InlineData("\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}", "\"rope_scaling.rope_type\" is \"yarn\"")]
    [InlineData("\"hidden_size\": 1e30", "\"hidden_size\" must be an integer")]
    [InlineData("\"hidden_size\": 99999999999", "\"hidden_size\" = 99999999999 is too large")]
    [InlineData("\"vocab_size\": 2000000000", "embed_tokens")]
    [InlineData("\"num_key_value_heads\": 3", "not a multiple of \"num_key_value_heads\" 3")]
    [InlineData("\"hidden_act\": \"gelu\"", "\"hidden_act\" is \"gelu\"")]
    public void BadConfig_GivesOneClearErrorNamingFileAndField(string replacement, string expected)
    {
        Directory.CreateDirectory(_dir);
        var json = System.Text.Json.Nodes.JsonNode.Parse(LlamaConfigJson.Write(Llama3Tiny))!.AsObject();
        var patch = System.Text.Json.Nodes.JsonNode.Parse("{" + replacement + "}")!.AsObject();
        foreach (var (k, v) in patch) json[k] = v?.DeepClone();
        File.WriteAllText(Path.Combine(_dir, "config.json"), json.ToJsonString());
        var e = Assert.ThrowsAny<Exception>(() => CausalLmCheckpoint.Load(_dir));
        Assert.IsType<InvalidDataException>(e);
        Assert.Contains(Path.Combine(_dir, "config.json"), e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void Gpt2Config_AbsurdSize_IsAClearErrorNotAnOverflow()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Path.Combine(_dir, "config.json"),
            "{\"model_type\": \"gpt2\", \"n_layer\": 2, \"n_head\": 2, \"n_embd\": 65536, \"n_positions\": 32, \"vocab_size\": 50257}");
        var e = Assert.Throws<InvalidDataException>(() => CausalLmCheckpoint.Load(_dir));
        Assert.Contains(Path.Combine(_dir, "config.json"), e.Message);
        Assert.Contains("vocab_size × n_embd", e.Message);
    }

    [Fact]
    public void ParameterCount_MatchesRealModels()
    {
        // the published parameter counts of SmolLM2-135M (134,515,008) and Qwen2.5-0.5B (494,032,768)
        var smol = LlamaConfig.ForFamily("llama", 576, 1536, 30, 9, 3, 49152, 8192, 100000, tieWordEmbeddings: true, rmsNormEps: 1e-5f);
        var qwen = LlamaConfig.ForFamily("qwen2", 896, 4864, 24, 14, 2, 151936, 32768, 1_000_000, tieWordEmbeddings: true);
        Assert.Equal(134_515_008, smol.ParameterCount);
        Assert.Equal(494_032_768, qwen.ParameterCount);
        Assert.Equal(new Llama(Qwen3Tiny).ParameterCount, Qwen3Tiny.ParameterCount);
        Assert.Equal(new Llama(Qwen3TiedBias).ParameterCount, Qwen3TiedBias.ParameterCount);
    }
}
