using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Training.Dpo;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.Tests.Dpo;

public sealed class DpoLossTests
{
    /// <summary>
    /// log π(y⁺) = −2, log π(y⁻) = −3, log π_ref of both −2.5, so h = 0.5 − (−0.5) = 1. By hand, with β = 0.1:
    /// loss = −log σ(0.1) = log(1 + e^−0.1) = 0.644396660; ∂/∂log π(y⁺) = −β·σ(−βh) = −0.1·0.475020813 = −0.0475020813,
    /// ∂/∂log π(y⁻) = +0.0475020813.
    /// </summary>
    [Fact]
    public void Dpo_loss_and_gradient_match_a_hand_computed_pair()
    {
        var (value, dChosen, dRejected) = Pair(new DpoLoss(0.1f));
        Assert.Equal(0.644396660, value, 6);
        Assert.Equal(-0.0475020813, dChosen, 6);
        Assert.Equal(0.0475020813, dRejected, 6);
    }

    /// <summary>
    /// cDPO with ε = 0.1 at h = 1, β = 0.1: 0.9·log(1 + e^−0.1) + 0.1·log(1 + e^0.1) = 0.9·0.644396660 + 0.1·0.744396660 = 0.654396660;
    /// ∂/∂h = −0.1·0.9·σ(−0.1) + 0.1·0.1·σ(0.1) = −0.0427518732 + 0.0052497919 = −0.0375020813.
    /// IPO with τ = 0.1 at h = 1: (1 − 5)² = 16, ∂/∂h = 2·(1 − 5) = −8.
    /// </summary>
    [Fact]
    public void Label_smoothing_and_ipo_match_hand_computed_values()
    {
        var (c, cChosen, cRejected) = Pair(new DpoLoss(0.1f, 0.1f));
        Assert.Equal(0.654396660, c, 6);
        Assert.Equal(-0.0375020813, cChosen, 6);
        Assert.Equal(0.0375020813, cRejected, 6);
        var (i, iChosen, iRejected) = Pair(new IpoLoss(0.1f));
        Assert.Equal(16.0, i, 4);
        Assert.Equal(-8.0, iChosen, 4);
        Assert.Equal(8.0, iRejected, 4);
    }

    private static (double Loss, double DChosen, double DRejected) Pair(IPreferenceLoss loss)
    {
        var chosen = Tensor.FromArray([-2f], 1);
        var rejected = Tensor.FromArray([-3f], 1);
        chosen.RequiresGrad = rejected.RequiresGrad = true;
        var h = chosen - rejected - Tensor.FromArray([-2.5f - -2.5f], 1);
        var total = Ops.Sum(loss.Compute(h));
        double value = total.Item();
        total.Backward();
        return (value, chosen.Grad!.ToArray()[0], rejected.Grad!.ToArray()[0]);
    }

    [Fact]
    public void Gradients_match_central_finite_differences()
    {
        float[] hs = [-30f, -2f, -0.3f, 0f, 0.7f, 4f, 45f];
        foreach (var loss in new IPreferenceLoss[] { new DpoLoss(0.1f), new DpoLoss(0.5f, 0.2f), new IpoLoss(0.5f), new IpoLoss(0.1f) })
        {
            var h = Tensor.FromArray((float[])hs.Clone(), hs.Length);
            h.RequiresGrad = true;
            Ops.Sum(loss.Compute(h)).Backward();
            var grad = h.Grad!.ToArray();
            for (int i = 0; i < hs.Length; i++)
            {
                // central differences of the float loss; step scaled so rounding (~1e-7·|ℓ|/eps) stays small
                double eps = 1e-2 * Math.Max(1, Math.Abs(hs[i]));
                double Value(double x) { using var _ = Tensor.NoGrad(); return loss.Compute(Tensor.FromArray([(float)x], 1)).Item(); }
                double numeric = (Value(hs[i] + eps) - Value(hs[i] - eps)) / (2 * eps);
                Assert.True(Math.Abs(numeric - grad[i]) <= 2e-3 * Math.Abs(numeric) + 2e-4, $"{loss.Name} β {loss.Beta} h {hs[i]}: autograd {grad[i]} vs numeric {numeric}");
            }
        }
    }

    [Fact]
    public void Labeler_weights_scale_each_pairs_loss_and_all_ones_is_the_unweighted_path()
    {
        var model = new Gpt(TrainingFixtures.TinyModel(64), seed: 7);
        var collator = new DpoCollator(new ChatTemplate(TrainingFixtures.Tokenizer), 64);
        PreferencePair[] pairs = [new("the cat", "sat on the mat.", "ran."), new("birds", "sing in the tree.", "read a book.")];
        var plain = collator.Encode(pairs);
        var ones = collator.EncodeWeighted(pairs.Select(p => (p, 1.0)));
        var weighted = collator.EncodeWeighted([(pairs[0], 0.25), (pairs[1], 0.0)]);
        Assert.Null(plain.PairWeights);
        Assert.Null(ones.PairWeights);                                     // all ones: exactly the unweighted computation
        Assert.Equal([0.25f, 0f], weighted.PairWeights!);
        var reference = new double[plain.SequenceCount];                   // log π_ref = 0: any values do for the comparison
        var loss = new DpoLoss(0.1f);
        var p = DpoTrainer.Forward(model, collator.Collate(plain, [0, 1], reference)[0], loss);
        var w = DpoTrainer.Forward(model, collator.Collate(weighted, [1, 0], reference)[0], loss);
        Assert.Equal([0f, 0.25f], collator.Collate(weighted, [1, 0], reference)[0].Weights!); // weights follow the batch order
        Assert.Equal(0.25 * p.Losses[0], w.Losses[1], 6);
        Assert.Equal(0.0, w.Losses[0]);
        Assert.Equal(0.25 * p.Losses[0], w.LossSum.Item(), 6);
        // from a ranked file: the record's weight, not the 1/C(K,2) of the reward model's pair weights
        var ranked = new PreferenceData(PreferenceFormat.Ranked, [new RankedCompletions("p", ["a", "b", "c"], [0, 1, 2], []) { Weight = 0.5 }]);
        Assert.All(ranked.RecordWeightedPairs(), x => Assert.Equal(0.5, x.Weight));
        Assert.All(ranked.ExpandPairs(), x => Assert.Equal(0.5 / 3, x.Weight, 12));
    }

    [Fact]
    public void Equal_policy_and_reference_give_log_2()
    {
        // the loss alone: h = 0
        Assert.Equal(Math.Log(2), new DpoLoss(0.1f).Compute(Tensor.FromArray([0f], 1)).Item(), 6);
        Assert.Equal(Math.Log(2), new DpoLoss(0.1f, 0.2f).Compute(Tensor.FromArray([0f], 1)).Item(), 6);

        // the whole path: a model's own cached reference log-probs → every pair's loss ≈ log 2, implicit rewards ≈ 0
        var model = new Gpt(TrainingFixtures.TinyModel(64), seed: 7);
        var collator = new DpoCollator(new ChatTemplate(TrainingFixtures.Tokenizer), 64);
        var data = collator.Encode([new("the cat", "sat on the mat.", "ran."), new("a dog ran in the park and", "sang.", "the sun is warm today."),
            new("birds", "sing in the tree.", "read a book.")]);
        var reference = ReferenceLogProbCache.SequenceLogProbs(model, data, 64, TrainingFixtures.Tokenizer.PadId, rows: 2); // other batch shapes than the trainer's
        var batches = collator.Collate(data, [2, 0, 1], reference);
        Assert.Single(batches);
        var r = DpoTrainer.Forward(model, batches[0], new DpoLoss(0.1f));
        foreach (double l in r.Losses) Assert.Equal(Math.Log(2), l, 5);
        foreach (double x in r.RewardsChosen.Concat(r.RewardsRejected)) Assert.True(Math.Abs(x) < 1e-5, $"implicit reward {x}");
    }

    [Fact]
    public void Collator_skips_identical_empty_and_too_long_pairs_with_counts_and_never_truncates()
    {
        var template = new ChatTemplate(TrainingFixtures.Tokenizer);
        var collator = new DpoCollator(template, 40);
        string longText = string.Concat(Enumerable.Repeat("the cat sat on the mat. ", 6));
        var data = collator.Encode([
            new("the cat", "sat.", "ran."),            // kept
            new("the cat", "sat.", "sat."),            // identical
            new("the cat", "", "ran."),                // empty chosen
            new("the cat", "sat.", "   "),             // whitespace-only rejected
            new("the cat", longText, "ran."),          // chosen too long: skipped, never cut
            new("the dog", "ran.", "sat."),            // kept
        ]);
        Assert.Equal(new DpoFitReport(6, 2, 1, 2, 1, 40), data.Report);
        Assert.Contains("1 over 40 tokens (never truncated)", data.Report.ToString());
        var (c, r) = data.Pairs[0];
        var expected = template.Encode("the cat", "sat.");
        Assert.Equal(expected.Ids[..expected.PromptLength], data.Prompts[c]);
        Assert.Equal(expected.Ids[expected.PromptLength..], data.Responses[c]);
        Assert.Equal(TrainingFixtures.Tokenizer.EndOfTextId, data.Responses[r][^1]);
    }

    [Fact]
    public void Kwise_rankings_expand_to_all_pairs_sharing_one_sequence_per_completion()
    {
        var ranked = new PreferenceData(PreferenceFormat.Ranked, [new RankedCompletions("the cat", ["sat.", "ran.", "slept."], [2, 0, 1], [])]);
        var data = new DpoCollator(new ChatTemplate(TrainingFixtures.Tokenizer), 64).Encode(ranked.ExpandPairs().Select(p => p.Pair));
        Assert.Equal(3, data.Pairs.Count);   // C(3, 2)
        Assert.Equal(3, data.SequenceCount); // each completion once
        Assert.Equal([(0, 1), (0, 2), (1, 2)], data.Pairs); // slept ≻ sat, slept ≻ ran, sat ≻ ran (sequences interned in that order)
    }

    [Fact]
    public void Collate_splits_a_step_whose_padded_width_would_exceed_the_limit()
    {
        var template = new ChatTemplate(TrainingFixtures.Tokenizer);
        var collator = new DpoCollator(template, 40);
        string longPrompt = "the cat sat on the mat and the dog ran";
        var data = collator.Encode([new(longPrompt, "sat.", "ran."), new("a", "the sun is warm today.", "we read.")]);
        Assert.Equal(2, data.Pairs.Count);
        var batches = collator.Collate(data, [0, 1], new double[data.SequenceCount]);
        Assert.Equal(2, batches.Count);
        Assert.All(batches, b => Assert.True(b.Sequences.Time <= 40));
        Assert.Equal(4, batches.Sum(b => b.Sequences.Batch));
    }
}
