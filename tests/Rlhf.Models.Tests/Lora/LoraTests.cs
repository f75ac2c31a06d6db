using Rlhf.Models.Layers;
using Rlhf.Models.Lora;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;

namespace Rlhf.Models.Tests.Lora;

/// <summary>LoRA adapters on GPT-2 and Llama-family models: identity at init, frozen base, merge, disable, gradients.</summary>
public class LoraTests
{
    internal static Gpt TinyGpt() => new(new GptConfig(2, 2, 16, 32, 64), seed: 5);

    internal static Llama TinyQwen2() => new(LlamaPresets.Get("tiny", "qwen2"), seed: 5);

    public static TheoryData<string> Families => ["gpt2", "qwen2"];

    internal static ICausalLm Make(string family) => family == "gpt2" ? TinyGpt() : TinyQwen2();

    private static float[] Logits(ICausalLm model, int[] ids, int B, int T)
    {
        using var noGrad = Tensor.NoGrad();
        return model.Logits(model.Forward(ids, B, T)).ToArray();
    }

    /// <summary>Gives every adapter's B random values, so the adapters change the outputs.</summary>
    internal static void Perturb(LoraAdapters adapters, ulong seed)
    {
        var rng = new Rng(seed);
        foreach (var a in adapters.Adapters) rng.FillNormal(a.B.Span, 0f, 0.05f);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void FreshAdapters_ZeroB_GiveExactlyTheBaseLogits(string family)
    {
        var model = Make(family);
        var ids = ModelTestData.RandomIds(3, 2 * 8, model.VocabSize);
        var before = Logits(model, ids, 2, 8);
        var adapters = LoraAdapters.Attach(model, new LoraConfig { Rank = 4, Alpha = 8 }, seed: 1);
        Assert.All(adapters.Adapters, a => Assert.Contains(a.A.ToArray(), v => v != 0f)); // A is random, B zero
        Assert.Equal(before, Logits(model, ids, 2, 8));
    }

    [Fact]
    public void DefaultTargets_AreEveryAttentionAndMlpProjection_WithPeftShapes()
    {
        var gpt = TinyGpt();
        var g = LoraAdapters.Attach(gpt, new LoraConfig { Rank = 4 }, seed: 1);
        Assert.Equal(2 * 4, g.Adapters.Count);
        var cAttn = g.Adapters[0];
        Assert.Equal("transformer.h.0.attn.c_attn", cAttn.ModulePath);
        Assert.Equal("base_model.model.transformer.h.0.attn.c_attn.lora_A.weight", cAttn.A.Name);
        Assert.Equal(new[] { 4, 16 }, cAttn.A.ShapeArray());  // (r, in)
        Assert.Equal(new[] { 48, 4 }, cAttn.B.ShapeArray());  // (out, r): Conv1D (in, out) weight read the PEFT way
        var llama = TinyQwen2();
        var l = LoraAdapters.Attach(llama, new LoraConfig { Rank = 2, Targets = ["q_proj", "v_proj"] }, seed: 1);
        Assert.Equal(new[] { "model.layers.0.self_attn.q_proj", "model.layers.0.self_attn.v_proj", "model.layers.1.self_attn.q_proj", "model.layers.1.self_attn.v_proj" },
            l.Adapters.Select(a => a.ModulePath));
        Assert.Equal(new[] { llama.Blocks[0].VProj.Weight.Shape[0], 2 }, l.Adapters[1].B.ShapeArray());
    }

    [Fact]
    public void UnknownTarget_IsRefused_NamingTheProjections()
    {
        var e = Assert.Throws<ArgumentException>(() => LoraAdapters.Attach(TinyGpt(), new LoraConfig { Targets = ["q_proj"] }, seed: 1));
        Assert.Contains("'q_proj'", e.Message);
        Assert.Contains("c_attn", e.Message);
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Training_ChangesOnlyAdapters_BaseStaysBitIdentical_AndHasNoGradients(string family)
    {
        var model = Make(family);
        var baseWeights = model.Parameters().Select(p => p.ToArray()).ToList();
        var adapters = LoraAdapters.Attach(model, new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.1f }, seed: 1);
        var startA = adapters.Parameters().Select(p => p.ToArray()).ToList();
        var opt = new AdamW(adapters.Parameters(), new AdamWConfig(LearningRate: 1e-2f));
        int B = 2, T = 8;
        var ids = ModelTestData.RandomIds(1, B * T, model.VocabSize);
        var targets = ModelTestData.RandomIds(2, B * T, model.VocabSize);
        float first = 0, last = 0;
        for (int step = 0; step < 20; step++)
        {
            var loss = model.LanguageModelLoss(model.Forward(ids, B, T), targets);
            loss.Backward();
            Assert.All(model.Parameters(), p => Assert.Null(p.Grad)); // frozen: no gradient buffer at all
            opt.Step();
            opt.ZeroGrad();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        Assert.True(last < first, $"loss {first} → {last}");
        var after = model.Parameters().Select(p => p.ToArray()).ToList();
        for (int i = 0; i < after.Count; i++) Assert.Equal(baseWeights[i], after[i]);
        var trained = adapters.Parameters().Select(p => p.ToArray()).ToList();
        Assert.All(Enumerable.Range(0, trained.Count), i => Assert.NotEqual(startA[i], trained[i]));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Merged_GivesTheSameLogitsAsBasePlusAdapters(string family)
    {
        var model = Make(family);
        var adapters = LoraAdapters.Attach(model, new LoraConfig { Rank = 4, Alpha = 16 }, seed: 1);
        Perturb(adapters, 9);
        var ids = ModelTestData.RandomIds(3, 2 * 8, model.VocabSize);
        var withAdapters = Logits(model, ids, 2, 8);
        adapters.MergeAndDetach();
        Assert.Null(LoraAdapters.Find(model));
        var merged = Logits(model, ids, 2, 8);
        for (int i = 0; i < merged.Length; i++) Assert.True(Math.Abs(merged[i] - withAdapters[i]) <= 1e-5, $"logit {i}: {merged[i]} vs {withAdapters[i]}");
        Assert.All(model.Parameters(), p => Assert.True(p.RequiresGrad)); // a plain model again
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void Disabled_IsTheBaseModel_AndTheBaseViewNeedsNoCopy(string family)
    {
        var model = Make(family);
        var ids = ModelTestData.RandomIds(3, 2 * 8, model.VocabSize);
        var baseLogits = Logits(model, ids, 2, 8);
        var adapters = LoraAdapters.Attach(model, new LoraConfig { Rank = 4 }, seed: 1);
        Perturb(adapters, 9);
        var adapted = Logits(model, ids, 2, 8);
        Assert.NotEqual(baseLogits, adapted);
        using (adapters.Disable()) Assert.Equal(baseLogits, Logits(model, ids, 2, 8));
        Assert.Equal(adapted, Logits(model, ids, 2, 8)); // back on after the scope
        var reference = adapters.BaseModel();
        Assert.Equal(baseLogits, Logits(reference, ids, 2, 8));
        Assert.Same(model.Parameters()[0], reference.Parameters()[0]);
        Assert.Equal(adapted, Logits(model, ids, 2, 8));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void CachedDecoding_MatchesTheFullForward_WithAdapters(string family)
    {
        var model = Make(family);
        var adapters = LoraAdapters.Attach(model, new LoraConfig { Rank = 4 }, seed: 1);
        Perturb(adapters, 9);
        int T = 6;
        var ids = ModelTestData.RandomIds(4, T, model.VocabSize);
        var full = Logits(model, ids, 1, T);
        var cache = model.NewCache(1, T);
        model.ForwardCached(ids[..(T - 1)], T - 1, cache);
        var last = model.ForwardCached([ids[T - 1]], 1, cache).ToArray(); // one row: the small-M decoding path
        int V = model.VocabSize;
        for (int v = 0; v < V; v++) Assert.True(Math.Abs(last[v] - full[(T - 1) * V + v]) <= 1e-4, $"logit {v}");
    }

    [Fact]
    public void GradientCheckpointing_GivesTheAdaptersTheSameGradients()
    {
        float[][] Grads(bool checkpointing)
        {
            var model = TinyGpt();
            model.GradientCheckpointing = checkpointing;
            var adapters = LoraAdapters.Attach(model, new LoraConfig { Rank = 2 }, seed: 1);
            Perturb(adapters, 9);
            var ids = ModelTestData.RandomIds(1, 2 * 8, model.VocabSize);
            model.LanguageModelLoss(model.Forward(ids, 2, 8), ModelTestData.RandomIds(2, 16, model.VocabSize)).Backward();
            return [.. adapters.Parameters().Select(p => p.Grad!.ToArray())];
        }
        Assert.Equal(Grads(false), Grads(true));
    }

    [Fact]
    public void GradCheck_LoraPath_AgainstFiniteDifferencesInDouble()
    {
        // a Qwen2 q_proj (with bias) and its adapter: y = x·Wᵀ + b + s·(x·Aᵀ)·Bᵀ; L = Σ w·y; W, b frozen
        var model = TinyQwen2();
        var adapters = LoraAdapters.Attach(model, new LoraConfig { Rank = 2, Alpha = 3, Targets = ["model.layers.0.self_attn.q_proj"] }, seed: 2);
        var layer = model.Blocks[0].QProj;
        var adapter = Assert.Single(adapters.Adapters);
        Assert.Same(adapter, layer.Adapter);
        Perturb(adapters, 4);
        int rows = 3, inF = layer.Weight.Shape[1], outF = layer.Weight.Shape[0], r = 2;
        float s = adapter.Scaling;
        Assert.Equal(1.5f, s);
        var rng = new Rng(3);
        var x = Tensor.Randn(rng, 1f, rows, inF);
        x.RequiresGrad = true;
        var w = Tensor.Randn(rng, 1f, rows, outF);
        Ops.Sum(layer.Forward(x) * w).Backward();
        Assert.Null(layer.Weight.Grad);
        Assert.Null(layer.Bias!.Grad);
        var wt = layer.Weight.ToArray();
        var bias = layer.Bias.ToArray();
        var ws = w.ToArray();
        double Reference(double[] xv, double[] av, double[] bv)
        {
            double total = 0;
            for (int i = 0; i < rows; i++)
            {
                var down = new double[r];
                for (int q = 0; q < r; q++)
                    for (int k = 0; k < inF; k++) down[q] += xv[i * inF + k] * av[q * inF + k];
                for (int o = 0; o < outF; o++)
                {
                    double acc = bias[o];
                    for (int k = 0; k < inF; k++) acc += xv[i * inF + k] * wt[o * inF + k];
                    for (int q = 0; q < r; q++) acc += s * down[q] * bv[o * r + q];
                    total += ws[i * outF + o] * acc;
                }
            }
            return total;
        }
        var inputs = new[] { x, adapter.A, adapter.B };
        var values = inputs.Select(t => t.ToArray().Select(v => (double)v).ToArray()).ToArray();
        const double h = 1e-6;
        for (int t = 0; t < inputs.Length; t++)
        {
            var analytic = inputs[t].Grad!.ToArray();
            for (int j = 0; j < values[t].Length; j++)
            {
                double saved = values[t][j];
                values[t][j] = saved + h;
                double plus = Reference(values[0], values[1], values[2]);
                values[t][j] = saved - h;
                double minus = Reference(values[0], values[1], values[2]);
                values[t][j] = saved;
                double numeric = (plus - minus) / (2 * h);
                Assert.True(Math.Abs(numeric - analytic[j]) <= 1e-3 + 1e-3 * Math.Abs(numeric), $"input {t}[{j}]: numeric {numeric}, analytic {analytic[j]}");
            }
        }
    }
}
