using Rlhf.Models;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Training.Data;
using Rlhf.Training.Distributed;
using Rlhf.Training.Rl;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.BestOfN;

/// <summary>
/// Best-of-N sampling (rejection sampling; Nakano et al. 2021 WebGPT, Touvron et al. 2023 Llama 2 §3.2.3): for each
/// prompt draw N responses from the policy through the shared <see cref="RolloutSampler"/>, score them all with the
/// proxy reward (and the gold reward when given), and keep the proxy's argmax. Its KL from the policy is at most
/// <see cref="BestOfNKl.Analytic"/>(N). The winners become SFT data for a rejection-sampling fine-tune
/// (<see cref="SftExamples"/>).
/// </summary>
public static class BestOfNSampler
{
    /// <summary>
    /// Samples <paramref name="n"/> responses per prompt and selects the best by <paramref name="proxy"/> (minus
    /// <paramref name="missingEosPenalty"/> for unfinished responses, <see cref="MissingEosPenalty"/>); rewards are
    /// computed in batches of <paramref name="maxBatch"/>. Same seed, inputs and batch size: same result.
    /// </summary>
    public static List<BestOfNGroup> Run(ICausalLm policy, ChatTemplate template, IReadOnlyList<RlPrompt> prompts, int n,
        GenerationConfig config, IRewardFunction proxy, IRewardFunction? gold, Rng rng, int maxBatch = 64, float? missingEosPenalty = null)
    {
        ArgumentNullException.ThrowIfNull(proxy);
        ArgumentNullException.ThrowIfNull(prompts);
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), $"best-of-N needs N ≥ 1, got {n}");
        // 1. sample N responses per prompt (prompt-major: prompt p's candidates are p·N .. p·N + N − 1), 2. score every
        //    sample with the proxy (and gold); under mpiexec each rank its shard of the prompts, then all to every rank (RolloutShards)
        float[] localGold = [];
        var rollouts = RolloutShards.SampleAndScore(prompts, n, rng,
            shard => RolloutSampler.Sample(policy, template, shard, n, config, rng, maxBatch),
            local =>
            {
                if (gold is not null) localGold = [.. ScoreAll(gold, local, maxBatch).Select(o => o.Reward)];
                return (MissingEosPenalty.Apply(local, ScoreAll(proxy, local, maxBatch), missingEosPenalty), null); // the selection's score; gold is never penalised
            });
        var samples = rollouts.Samples;
        var proxyOut = rollouts.Outcomes;
        var goldOut = gold is null ? null : RolloutShards.Gather(localGold);
        // 3. group by prompt and take the proxy's argmax
        var groups = new List<BestOfNGroup>(prompts.Count);
        for (int p = 0; p < prompts.Count; p++)
        {
            var candidates = new BestOfNCandidate[n];
            for (int i = 0; i < n; i++)
            {
                int k = p * n + i;
                candidates[i] = new(samples[k], proxyOut[k].Reward, goldOut?[k], proxyOut[k].Spread, proxyOut[k].Note);
            }
            groups.Add(new BestOfNGroup(prompts[p], candidates, ArgMax(candidates.Select(c => c.Proxy).ToArray())));
        }
        return groups;
    }

    /// <summary>Index of the largest score, the first one on ties (NaN never wins unless all are NaN).</summary>
    public static int ArgMax(ReadOnlySpan<double> scores)
    {
        if (scores.Length == 0) throw new ArgumentException("ArgMax: no scores");
        int best = 0;
        for (int i = 1; i < scores.Length; i++)
            if (scores[i] > scores[best] || (double.IsNaN(scores[best]) && !double.IsNaN(scores[i]))) best = i;
        return best;
    }

    /// <summary>
    /// The winners as SFT examples (prompt, best response) for a rejection-sampling fine-tune; winners with an
    /// empty or whitespace-only response are skipped (an SFT example needs text; <paramref name="skipped"/> counts them).
    /// </summary>
    public static List<SftExample> SftExamples(IReadOnlyList<BestOfNGroup> groups, out int skipped)
    {
        ArgumentNullException.ThrowIfNull(groups);
        var examples = new List<SftExample>(groups.Count);
        skipped = 0;
        foreach (var g in groups)
        {
            if (string.IsNullOrWhiteSpace(g.Best.Sample.CompletionText)) { skipped++; continue; }
            examples.Add(new SftExample(g.Prompt.Prompt, g.Best.Sample.CompletionText));
        }
        return examples;
    }

    private static RewardOutcome[] ScoreAll(IRewardFunction reward, List<RolloutSample> samples, int maxBatch)
    {
        var outcomes = new RewardOutcome[samples.Count];
        for (int start = 0; start < samples.Count; start += maxBatch)
        {
            int count = Math.Min(maxBatch, samples.Count - start);
            var scored = reward.Score(samples.GetRange(start, count).Select(RewardRequest.Of).ToList());
            if (scored.Count != count) throw new InvalidOperationException($"reward '{reward.Name}' returned {scored.Count} outcomes for {count} samples");
            for (int i = 0; i < count; i++) outcomes[start + i] = scored[i];
        }
        return outcomes;
    }
}
