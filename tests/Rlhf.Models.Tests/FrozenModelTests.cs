using Rlhf.Models;
using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Models.Tests;

/// <summary>
/// Frozen models (ICausalLm.FreezeTo): bf16 storage gives exactly the outputs of a float32 model whose matrices hold
/// the same bf16-rounded values (widening is exact and the GEMM and its accumulation order are the same), and a frozen
/// model refuses training, saving and gradients with a clear message.
/// </summary>
public class FrozenModelTests
{
    private static readonly GptConfig Small = new(NLayer: 2, NHead: 2, NEmbd: 32, NPositions: 32, VocabSize: 48);

    /// <summary>Rounds every matrix (rank-2 parameter) of <paramref name="model"/> to bf16 in place, kept in float32.</summary>
    private static void RoundMatricesToBf16(ICausalLm model)
    {
        foreach (var p in model.Parameters().Where(p => p.Rank == 2))
        {
            var span = p.Span;
            for (int i = 0; i < span.Length; i++) span[i] = Bf16.ToFloat(Bf16.FromFloat(span[i]));
        }
    }

    private static float[] Logits(ICausalLm model, int[] ids, int batch, int time, bool[]? mask = null)
    {
        using var _ = Tensor.NoGrad();
        return model.Logits(model.Forward(ids, batch, time, mask)).ToArray();
    }

    public static TheoryData<string> Models => ["gpt2", "llama3", "qwen3-tied-bias"];

    private static ICausalLm Create(string name, ulong seed) => name switch
    {
        "gpt2" => new Gpt(Small, seed),
        "llama3" => LlamaTests.RandomModel(LlamaTests.Llama3Tiny, seed),
        _ => LlamaTests.RandomModel(LlamaTests.Qwen3TiedBias, seed),
    };

    [Theory]
    [MemberData(nameof(Models))]
    public void FrozenToBf16_EqualsFloat32ModelWithRoundedWeights_Exactly(string name)
    {
        int B = 3, T = 12; // 36 rows: the blocked GEMM path in both models
        var ids = ModelTestData.RandomIds(3, B * T, 40);
        var mask = Enumerable.Range(0, B * T).Select(i => !(i / T == 2 && i % T < 5)).ToArray();
        var original = Create(name, 9);
        var expectedUnrounded = Logits(original, ids, B, T, mask);
        var rounded = Create(name, 9);
        RoundMatricesToBf16(rounded);
        var expected = Logits(rounded, ids, B, T, mask);
        var frozen = Create(name, 9);
        frozen.FreezeTo(Dtype.BF16);
        var actual = Logits(frozen, ids, B, T, mask);
        Assert.Equal(expected, actual);
        // and bf16 rounding is a small change: relative 2^-8 per weight
        double scale = expectedUnrounded.Max(Math.Abs);
        for (int i = 0; i < actual.Length; i++)
            Assert.True(Math.Abs(actual[i] - expectedUnrounded[i]) <= 0.05 * scale, $"logit {i}: {actual[i]} vs float32 {expectedUnrounded[i]}");
        Assert.Contains(Enumerable.Range(0, actual.Length), i => actual[i] != expectedUnrounded[i]); // the weights really were rounded
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void FrozenToBf16_DecodesWithTheKvCache_LikeTheFullForward(string name)
    {
        var frozen = Create(name, 4);
        frozen.FreezeTo(Dtype.BF16);
        var ids = ModelTestData.RandomIds(5, 2 * 6, 40);
        var full = Logits(frozen, ids, 2, 6);
        var cache = frozen.NewCache(2, 8);
        var prefill = frozen.ForwardCached(ids, 6, cache).ToArray(); // last position of each row
        int V = frozen.VocabSize;
        for (int b = 0; b < 2; b++)
            for (int v = 0; v < V; v++)
            {
                float want = full[(b * 6 + 5) * V + v], got = prefill[b * V + v];
                Assert.True(Math.Abs(want - got) <= 1e-4f * (1 + Math.Abs(want)), $"row {b} logit {v}: cached {got} vs full {want}");
            }
        var step = frozen.ForwardCached([1, 2], 1, cache).ToArray(); // one new token per row: the small-m shape
        Assert.All(step, x => Assert.True(float.IsFinite(x)));
    }

    [Fact]
    public void FrozenGpt_RefusesTrainingSavingAndGradients_WithAClearMessage()
    {
        var model = new Gpt(Small, seed: 2);
        long count = model.ParameterCount;
        model.FreezeTo(Dtype.BF16);
        Assert.Equal(count, model.ParameterCount);
        Assert.Equal(Dtype.BF16, model.FrozenDtype);
        var e = Assert.Throws<InvalidOperationException>(() => model.Parameters());
        Assert.Contains("wte.weight", e.Message);
        Assert.Contains("forward-only", e.Message);
        var ids = ModelTestData.RandomIds(1, 2 * 8, Small.VocabSize);
        var hidden = model.Forward(ids, 2, 8); // grad mode on: still a plain forward, nothing recorded
        Assert.False(hidden.RequiresGrad);
        Assert.Throws<InvalidOperationException>(() => model.LanguageModelLoss(hidden, ids));
        string dir = Path.Combine(Path.GetTempPath(), "rlhf-frozen-" + Guid.NewGuid().ToString("N"));
        try { Assert.Throws<InvalidOperationException>(() => model.Save(dir)); }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true); }
        var needsGrad = Tensor.Zeros(2, 8, Small.NEmbd);
        needsGrad.RequiresGrad = true;
        var g = Assert.Throws<InvalidOperationException>(() => model.Logits(needsGrad));
        Assert.Contains("forward-only", g.Message);
        Assert.Throws<InvalidOperationException>(() => model.FreezeTo(Dtype.F32));
        model.FreezeTo(Dtype.BF16); // again: nothing to do
    }

    [Fact]
    public void FrozenToF32_KeepsValues_AndStopsGradients()
    {
        var model = new Gpt(Small, seed: 2);
        var ids = ModelTestData.RandomIds(1, 2 * 8, Small.VocabSize);
        var before = Logits(model, ids, 2, 8);
        model.FreezeTo(Dtype.F32);
        Assert.All(model.Parameters(), p => Assert.False(p.RequiresGrad));
        Assert.Equal(before, Logits(model, ids, 2, 8));
        Assert.False(model.Forward(ids, 2, 8).RequiresGrad);
    }

    [Fact]
    public void FrozenRewardModel_ScoresLikeTheRoundedFloat32Model()
    {
        var ids = ModelTestData.RandomIds(7, 4 * 10, Small.VocabSize);
        var rounded = new RewardModel(new Gpt(Small, seed: 3), seed: 8);
        RoundMatricesToBf16(rounded.Trunk);
        var frozen = new RewardModel(new Gpt(Small, seed: 3), seed: 8);
        frozen.FreezeTo(Dtype.BF16);
        float[] expected, actual;
        using (Tensor.NoGrad())
        {
            expected = rounded.Scores(ids, 4, 10).ToArray();
            actual = frozen.Scores(ids, 4, 10).ToArray();
        }
        Assert.Equal(expected, actual);
        Assert.All(frozen.Head.Parameters(), p => Assert.False(p.RequiresGrad));
    }

    [Fact]
    public void FrozenToBf16_StoresEveryProjectionAsBf16()
    {
        var model = new Gpt(Small, seed: 2);
        model.FreezeTo(Dtype.BF16);
        foreach (var block in model.Blocks)
            foreach (var layer in new[] { block.Attn, block.AttnProj, block.Fc, block.MlpProj })
            {
                Assert.True(layer.IsBf16);
                Assert.Throws<InvalidOperationException>(() => layer.Weight); // the float32 array is gone
                Assert.False(layer.Bias.RequiresGrad);
            }
        Assert.Throws<InvalidOperationException>(() => model.Wpe);
        Assert.False(model.LnF.Weight.RequiresGrad);
    }
}
