using Rlhf.Models;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;

namespace Rlhf.Models.Tests;

/// <summary>Inputs and a training check shared by the model-family tests (GPT-2, Llama).</summary>
internal static class ModelTestData
{
    /// <summary><paramref name="n"/> token ids drawn uniformly from [0, <paramref name="vocab"/>) with seed <paramref name="seed"/>.</summary>
    public static int[] RandomIds(ulong seed, int n, int vocab)
    {
        var rng = new Rng(seed);
        var ids = new int[n];
        for (int i = 0; i < n; i++) ids[i] = rng.NextInt(vocab);
        return ids;
    }

    /// <summary>
    /// Fits one random batch (B = 4, T = 16, ids seed 1, targets seed 2) for 150 AdamW steps at lr 1e-2 and returns the
    /// first and last cross-entropy: a model whose forward and backward agree can memorise it.
    /// </summary>
    public static (float First, float Last) OverfitOneBatch(ICausalLm model)
    {
        int B = 4, T = 16;
        var ids = RandomIds(1, B * T, model.VocabSize);
        var targets = RandomIds(2, B * T, model.VocabSize);
        var opt = new AdamW(model.Parameters(), new AdamWConfig(LearningRate: 1e-2f, WeightDecay: 0f));
        float first = 0, last = 0;
        for (int step = 0; step < 150; step++)
        {
            opt.ZeroGrad();
            var loss = Ops.CrossEntropy(model.Logits(model.Forward(ids, B, T)), targets);
            loss.Backward();
            opt.Step();
            if (step == 0) first = loss.Item();
            last = loss.Item();
        }
        return (first, last);
    }
}
