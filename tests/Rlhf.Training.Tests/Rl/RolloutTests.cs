using Rlhf.Models;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Training.Rl;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Prompts;

namespace Rlhf.Training.Tests.Rl;

public class RolloutTests
{
    private static readonly BpeTokenizer Tok = TrainingFixtures.Tokenizer;

    [Fact]
    public void Recomputed_log_probs_equal_the_samplers_for_prompts_of_different_lengths()
    {
        var model = new Gpt(TrainingFixtures.TinyModel(context: 48), seed: 3);
        var template = new ChatTemplate(Tok);
        RlPrompt[] prompts = [new("the cat"), new("a dog ran in the park and"), new("birds")];
        foreach (float temperature in new[] { 1f, 0.7f })
        {
            var config = new GenerationConfig(MaxNewTokens: 9, Temperature: temperature);
            var samples = RolloutSampler.Sample(model, template, prompts, 2, config, new Rng(5));
            Assert.Equal(6, samples.Count);
            Assert.Equal([0, 0, 1, 1, 2, 2], samples.Select(s => s.Group));
            var batch = SequenceBatch.Build(samples, Tok.EndOfTextId);
            var logProbs = PolicyForward.LogProbs(model, batch, temperature, rows: 4); // two chunks
            for (int b = 0; b < samples.Count; b++)
            {
                Assert.Equal(samples[b].CompletionIds.Length, batch.ResponseLengths[b]);
                for (int j = 0; j < batch.ResponseLength; j++)
                {
                    bool real = j < samples[b].CompletionIds.Length;
                    Assert.Equal(real ? 1f : 0f, batch.ResponseMask[b * batch.ResponseLength + j]);
                    if (real) Assert.Equal(samples[b].OldLogProbs[j], logProbs[b * batch.ResponseLength + j], 3e-4f);
                }
            }
        }
    }

    [Fact]
    public void Sequence_batch_left_pads_prompts_and_right_pads_responses()
    {
        var batch = SequenceBatch.Build([[5, 6, 7], [8]], [[1], [2, 3, 4]], padId: 0);
        Assert.Equal((3, 3, 6), (batch.PromptLength, batch.ResponseLength, batch.Time));
        Assert.Equal([5, 6, 7, 1, 0, 0, 0, 0, 8, 2, 3, 4], batch.Ids);
        Assert.Equal([true, true, true, true, false, false, false, false, true, true, true, true], batch.AttentionMask);
        Assert.Equal([1, 0, 0, 2, 3, 4], batch.Targets);
        Assert.Equal([1f, 0, 0, 1, 1, 1], batch.ResponseMask);
        var second = batch.Select([1]);
        Assert.Equal([0, 0, 8, 2, 3, 4], second.Ids);
        Assert.Equal([3], second.ResponseLengths);
        Assert.Throws<ArgumentException>(() => SequenceBatch.Build([[]], [[1]], 0));
    }

    [Fact]
    public void Kl_estimators_k1_and_k3_average_to_the_exact_kl()
    {
        double[] p = [0.5, 0.3, 0.15, 0.05], q = [0.25, 0.25, 0.25, 0.25];
        var logP = p.Select(x => Math.Log(x)).ToArray();
        var logQ = q.Select(x => Math.Log(x)).ToArray();
        double exact = KlEstimator.Exact(logP, logQ);
        // expectation under p of each estimator, computed exactly (a sum, not a sample)
        double k1 = 0, k3 = 0, k2 = 0;
        for (int i = 0; i < p.Length; i++)
        {
            k1 += p[i] * KlEstimator.K1(logP[i], logQ[i]);
            k2 += p[i] * KlEstimator.K2(logP[i], logQ[i]);
            k3 += p[i] * KlEstimator.K3(logP[i], logQ[i]);
        }
        Assert.Equal(exact, k1, 12);
        Assert.Equal(exact, k3, 12);
        Assert.True(k2 > 0 && Math.Abs(k2 - exact) < 0.05 * exact + 0.05, $"k2 {k2} should approximate {exact}");
        for (int i = 0; i < p.Length; i++) Assert.True(KlEstimator.K3(logP[i], logQ[i]) >= 0);
        // and by sampling: 20,000 draws land within 3 standard errors
        var rng = new Rng(11);
        double s1 = 0, s3 = 0; int n = 20000;
        for (int k = 0; k < n; k++)
        {
            double u = rng.NextDouble(), c = 0; int i = 0;
            while (i < p.Length - 1 && u >= (c += p[i])) i++;
            s1 += KlEstimator.K1(logP[i], logQ[i]);
            s3 += KlEstimator.K3(logP[i], logQ[i]);
        }
        Assert.Equal(exact, s1 / n, 0.03);
        Assert.Equal(exact, s3 / n, 0.03);
    }

    [Fact]
    public void K3_tensor_gradient_is_one_minus_the_ratio()
    {
        var logP = Tensor.FromArray([-1f, -2f, -0.5f], 3);
        logP.RequiresGrad = true;
        var logRef = Tensor.FromArray([-1.5f, -1f, -0.5f], 3);
        var k3 = KlEstimator.K3(logP, logRef);
        Ops.Sum(k3).Backward();
        var g = logP.Grad!.ToArray();
        float[] lp = [-1f, -2f, -0.5f], lr = [-1.5f, -1f, -0.5f];
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal((float)KlEstimator.K3(lp[i], lr[i]), k3.ToArray()[i], 5);
            Assert.Equal(1 - MathF.Exp(lr[i] - lp[i]), g[i], 5);
        }
    }

    [Fact]
    public void Repetition_rate_counts_repeated_trigrams()
    {
        Assert.Equal(0, ResponseStats.RepetitionRate([1, 2, 3, 4, 5]));
        Assert.Equal(0, ResponseStats.RepetitionRate([1, 2]));
        // 1 2 3 1 2 3 1 2 3: trigrams 123 231 312 123 231 312 123 → 4 of 7 repeat
        Assert.Equal(4.0 / 7, ResponseStats.RepetitionRate([1, 2, 3, 1, 2, 3, 1, 2, 3]), 12);
        Assert.Equal(3.0 / 4, ResponseStats.RepetitionRate([7, 7, 7, 7, 7], n: 2), 12);
    }
}
