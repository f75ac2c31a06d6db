using Rlhf.Models;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Data.Prompts;

namespace Rlhf.Training.Rl;

/// <summary>
/// The one rollout path of every on-policy method (PPO, GRPO/RLOO, best-of-N, online DPO): chat-format each prompt,
/// sample <c>samplesPerPrompt</c> responses with the KV-cache <see cref="Generator"/>, keep per-token log-probs, decode.
/// Samples come prompt-major: prompt p's g-th sample is at index p·G + g, with <see cref="RolloutSample.Group"/> = p.
/// </summary>
public static class RolloutSampler
{
    /// <summary>Samples <paramref name="samplesPerPrompt"/> responses to each prompt; <paramref name="maxBatch"/> rows per generate call.</summary>
    public static List<RolloutSample> Sample(ICausalLm policy, ChatTemplate template, IReadOnlyList<RlPrompt> prompts,
        int samplesPerPrompt, GenerationConfig config, Rng rng, int maxBatch = 64)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfLessThan(samplesPerPrompt, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        var encoded = new int[prompts.Count][];
        for (int p = 0; p < prompts.Count; p++) encoded[p] = template.EncodePrompt(prompts[p].Prompt, prompts[p].Messages);
        int total = prompts.Count * samplesPerPrompt;
        var samples = new List<RolloutSample>(total);
        int eos = template.EndId; // end-of-turn under a chat format
        config = config with { VocabularyLimit = template.Tokenizer.VocabSize }; // a padded embedding's extra ids cannot be decoded
        using var noGrad = Tensor.NoGrad();
        for (int start = 0; start < total; start += maxBatch)
        {
            int n = Math.Min(maxBatch, total - start);
            var ids = new int[n][];
            for (int i = 0; i < n; i++) ids[i] = encoded[(start + i) / samplesPerPrompt];
            var results = Generator.Generate(policy, ids, eos, config, rng);
            for (int i = 0; i < n; i++)
            {
                int p = (start + i) / samplesPerPrompt;
                var r = results[i];
                samples.Add(new RolloutSample(p, prompts[p], r.Prompt, r.Completion, r.LogProbs,
                    template.DecodeResponse(r.Completion), r.Finished));
            }
        }
        return samples;
    }
}
