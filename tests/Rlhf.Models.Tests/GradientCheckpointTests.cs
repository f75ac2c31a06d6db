using Rlhf.Models;
using Rlhf.Tensors;

namespace Rlhf.Models.Tests;

/// <summary>Activation checkpointing per block (Gpt.GradientCheckpointing) and the fused LM-head loss.</summary>
public class GradientCheckpointTests
{
    private static readonly GptConfig Small = new(NLayer: 3, NHead: 2, NEmbd: 32, NPositions: 32, VocabSize: 48);

    /// <summary>Loss and every parameter gradient of one step, with a padding mask so the masked path is covered too.</summary>
    private static (float Loss, float[][] Grads) Step(bool checkpoint, bool fused) =>
        Step(new Gpt(Small, seed: 5), checkpoint, fused);

    /// <summary><see cref="Step(bool, bool)"/> on any model family.</summary>
    private static (float Loss, float[][] Grads) Step(ICausalLm model, bool checkpoint, bool fused)
    {
        model.GradientCheckpointing = checkpoint;
        int B = 3, T = 12;
        var ids = ModelTestData.RandomIds(1, B * T, model.VocabSize);
        var targets = ModelTestData.RandomIds(2, B * T, model.VocabSize);
        var mask = Enumerable.Range(0, B * T).Select(i => !(i / T == 1 && i % T < 4)).ToArray(); // row 1 left-padded
        var hidden = model.Forward(ids, B, T, mask);
        var loss = fused ? model.LanguageModelLoss(hidden, targets) : Ops.CrossEntropy(model.Logits(hidden), targets);
        loss.Backward();
        return (loss.Item(), model.Parameters().Select(p => p.Grad!.ToArray()).ToArray());
    }

    [Fact]
    public void Checkpointed_GradientsEqualTheFullGraph_Exactly()
    {
        // recomputation runs the same kernels on the same inputs, and each block's backward runs in the same order:
        // bit-identical loss and gradients
        var (loss, grads) = Step(checkpoint: false, fused: true);
        var (lossC, gradsC) = Step(checkpoint: true, fused: true);
        Assert.Equal(loss, lossC);
        for (int p = 0; p < grads.Length; p++) Assert.Equal(grads[p], gradsC[p]);
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3-tied-bias")]
    public void Checkpointed_LlamaGradientsEqualTheFullGraph_Exactly(string family)
    {
        var config = family == "llama3" ? LlamaTests.Llama3Tiny : LlamaTests.Qwen3TiedBias;
        var (loss, grads) = Step(new Llama(config, seed: 5), checkpoint: false, fused: true);
        var (lossC, gradsC) = Step(new Llama(config, seed: 5), checkpoint: true, fused: true);
        Assert.Equal(loss, lossC);
        Assert.Equal(grads.Length, gradsC.Length);
        for (int p = 0; p < grads.Length; p++) Assert.Equal(grads[p], gradsC[p]);
        Assert.Contains(grads, g => g.Any(v => v != 0)); // the comparison is not between two empty sets of gradients
    }

    [Fact]
    public void FusedLanguageModelLoss_EqualsLogitsThenCrossEntropy()
    {
        var (loss, grads) = Step(checkpoint: false, fused: false);
        var (lossF, gradsF) = Step(checkpoint: false, fused: true);
        Assert.Equal(loss, lossF, 1e-6f);
        for (int p = 0; p < grads.Length; p++)
            for (int i = 0; i < grads[p].Length; i++)
                Assert.True(Math.Abs(grads[p][i] - gradsF[p][i]) <= 1e-6 + 1e-4 * Math.Abs(grads[p][i]),
                    $"parameter {p} element {i}: {grads[p][i]} vs {gradsF[p][i]}");
    }

    [Fact]
    public void Checkpointing_DoesNotRecordUnderNoGrad_AndGivesTheSameHiddenStates()
    {
        var model = new Gpt(Small, seed: 5);
        var ids = ModelTestData.RandomIds(1, 2 * 8, Small.VocabSize);
        var plain = model.Forward(ids, 2, 8).ToArray();
        model.GradientCheckpointing = true;
        Assert.Equal(plain, model.Forward(ids, 2, 8).ToArray());
        using (Tensor.NoGrad()) Assert.False(model.Forward(ids, 2, 8).RequiresGrad);
    }
}
