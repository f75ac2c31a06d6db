using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;

namespace Rlhf.Models.Generation;

/// <summary>
/// Batched autoregressive sampling with a KV cache. Prompts of different lengths are left-padded (padding masked
/// out of attention, positions counted from each prompt's first token), the whole batch is prefilled in one
/// cached forward, then one token per row per step is appended. A row stops at end-of-text or at any of the model's
/// <see cref="ICausalLm.EosTokenIds"/> (kept as its last completion token), or after
/// <see cref="GenerationConfig.MaxNewTokens"/>; stopped rows ride along masked (padded with end-of-text).
/// </summary>
public static class Generator
{
    /// <summary>Samples completions for <paramref name="prompts"/> (token ids, each non-empty).</summary>
    public static IReadOnlyList<GenerationResult> Generate(ICausalLm model, IReadOnlyList<int[]> prompts, int endOfTextId,
        GenerationConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(rng);
        config.Validate();
        int B = prompts.Count;
        if (B == 0) return [];
        int promptLen = 0;
        for (int b = 0; b < B; b++)
        {
            if (prompts[b] is null || prompts[b].Length == 0) throw new ArgumentException($"Generator: prompt {b} is empty");
            promptLen = Math.Max(promptLen, prompts[b].Length);
        }
        int capacity = promptLen + config.MaxNewTokens;
        if (capacity > model.MaxPositions)
            throw new ArgumentException(
                $"Generator: longest prompt ({promptLen} tokens) + max new tokens ({config.MaxNewTokens}) = {capacity} exceeds the model context {model.MaxPositions}");
        int V = model.VocabSize;
        var stops = new HashSet<int>(model.EosTokenIds) { endOfTextId };

        // left-pad: row b = [pad … pad, prompt]
        var ids = new int[B * promptLen];
        var mask = new bool[B * promptLen];
        for (int b = 0; b < B; b++)
        {
            int offset = promptLen - prompts[b].Length;
            for (int t = 0; t < promptLen; t++)
            {
                ids[b * promptLen + t] = t < offset ? endOfTextId : prompts[b][t - offset];
                mask[b * promptLen + t] = t >= offset;
            }
        }

        var cache = model.NewCache(B, capacity);
        var logits = model.ForwardCached(ids, promptLen, cache, mask); // (B, V)
        var completions = new List<int>[B];
        var logProbs = new List<float>[B];
        var finished = new bool[B];
        for (int b = 0; b < B; b++) { completions[b] = []; logProbs[b] = []; }
        // one generator per row, seeded from the caller's: a row's sample does not depend on what else is in the
        // batch, and rows can be sampled in parallel
        var rowRngs = new Rng[B];
        var scratch = new float[B][];
        for (int b = 0; b < B; b++)
        {
            rowRngs[b] = new Rng(rng.NextUInt64());
            scratch[b] = new float[V];
        }
        var next = new int[B];
        var nextMask = new bool[B];
        var sampled = new (int Token, float LogProb)[B];
        for (int step = 0; step < config.MaxNewTokens; step++)
        {
            var current = logits;
            WorkerPool.Run(B, b =>
            {
                if (!finished[b]) sampled[b] = Sampler.Sample(current.Span.Slice(b * V, V), config, rowRngs[b], scratch[b]);
            });
            bool anyActive = false;
            for (int b = 0; b < B; b++)
            {
                nextMask[b] = !finished[b];
                if (finished[b]) { next[b] = endOfTextId; continue; }
                var (token, lp) = sampled[b];
                next[b] = token;
                completions[b].Add(token);
                logProbs[b].Add(lp);
                if (config.StopAtEndOfText && stops.Contains(token)) finished[b] = true;
                else anyActive = true;
            }
            if (!anyActive || step == config.MaxNewTokens - 1) break;
            logits = model.ForwardCached(next, 1, cache, nextMask);
        }
        var results = new GenerationResult[B];
        for (int b = 0; b < B; b++)
            results[b] = new GenerationResult(prompts[b], [.. completions[b]], [.. logProbs[b]], finished[b]);
        return results;
    }
}
