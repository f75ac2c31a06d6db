namespace Rlhf.Training.Rl;

/// <summary>
/// Prompt + response sequences laid out for one teacher-forced forward pass. Row b is
/// <c>[pad … pad, prompt_b, response_b, pad … pad]</c>: prompts are left-padded to a common length P (so every response
/// starts at column P) and responses right-padded to L, T = P + L. Pads are masked out of attention and positions
/// count from each row's first real token, exactly as during generation, so recomputed log-probs match the sampler's.
/// Response token j of row b sits at column P + j and is predicted by the hidden state at column P − 1 + j.
/// </summary>
public sealed class SequenceBatch
{
    /// <summary>Rows B.</summary>
    public int Batch { get; }
    /// <summary>Prompt columns P (the longest prompt).</summary>
    public int PromptLength { get; }
    /// <summary>Response columns L (the longest response, ≥ 1).</summary>
    public int ResponseLength { get; }
    /// <summary>T = P + L.</summary>
    public int Time => PromptLength + ResponseLength;
    /// <summary>Token ids (B·T), pads = <c>padId</c>.</summary>
    public int[] Ids { get; }
    /// <summary>Attention mask (B·T), true = real token.</summary>
    public bool[] AttentionMask { get; }
    /// <summary>Response token ids (B·L): the targets whose log-probs are gathered; pads = <c>padId</c>.</summary>
    public int[] Targets { get; }
    /// <summary>Response mask (B·L) as 1/0 floats: 1 where column j is a real response token of the row.</summary>
    public float[] ResponseMask { get; }
    /// <summary>Real response tokens per row.</summary>
    public int[] ResponseLengths { get; }

    private SequenceBatch(int batch, int promptLength, int responseLength, int[] ids, bool[] mask, int[] targets,
        float[] responseMask, int[] responseLengths)
    {
        (Batch, PromptLength, ResponseLength) = (batch, promptLength, responseLength);
        (Ids, AttentionMask, Targets, ResponseMask, ResponseLengths) = (ids, mask, targets, responseMask, responseLengths);
    }

    /// <summary>Lays out (prompt, response) id pairs; every prompt must be non-empty, responses may be empty (fully masked).</summary>
    public static SequenceBatch Build(IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> responses, int padId)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(responses);
        if (prompts.Count != responses.Count)
            throw new ArgumentException($"SequenceBatch: {prompts.Count} prompts but {responses.Count} responses");
        if (prompts.Count == 0) throw new ArgumentException("SequenceBatch: empty batch");
        int B = prompts.Count, P = 0, L = 1;
        for (int b = 0; b < B; b++)
        {
            if (prompts[b].Length == 0) throw new ArgumentException($"SequenceBatch: prompt {b} is empty");
            P = Math.Max(P, prompts[b].Length);
            L = Math.Max(L, responses[b].Length);
        }
        int T = P + L;
        var ids = new int[B * T];
        var mask = new bool[B * T];
        var targets = new int[B * L];
        var responseMask = new float[B * L];
        var lengths = new int[B];
        Array.Fill(ids, padId);
        Array.Fill(targets, padId);
        for (int b = 0; b < B; b++)
        {
            var (prompt, response) = (prompts[b], responses[b]);
            int start = b * T + P - prompt.Length;
            prompt.CopyTo(ids, start);
            response.CopyTo(ids, b * T + P);
            mask.AsSpan(start, prompt.Length + response.Length).Fill(true);
            response.CopyTo(targets, b * L);
            responseMask.AsSpan(b * L, response.Length).Fill(1f);
            lengths[b] = response.Length;
        }
        return new SequenceBatch(B, P, L, ids, mask, targets, responseMask, lengths);
    }

    /// <summary>The batch of <paramref name="samples"/>' prompts and completions.</summary>
    public static SequenceBatch Build(IReadOnlyList<RolloutSample> samples, int padId)
    {
        ArgumentNullException.ThrowIfNull(samples);
        var prompts = new int[samples.Count][];
        var responses = new int[samples.Count][];
        for (int i = 0; i < samples.Count; i++) (prompts[i], responses[i]) = (samples[i].PromptIds, samples[i].CompletionIds);
        return Build(prompts, responses, padId);
    }

    /// <summary>Rows <paramref name="start"/> .. start + count − 1 as a batch with the same P and L (columns keep their meaning).</summary>
    public SequenceBatch Rows(int start, int count)
    {
        var rows = new int[count];
        for (int i = 0; i < count; i++) rows[i] = start + i;
        return Select(rows);
    }

    /// <summary>The given rows, in that order, as a batch with the same P and L (PPO minibatches).</summary>
    public SequenceBatch Select(IReadOnlyList<int> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (rows.Count == 0) throw new ArgumentException("SequenceBatch.Select: no rows");
        int n = rows.Count, T = Time, L = ResponseLength;
        var ids = new int[n * T];
        var mask = new bool[n * T];
        var targets = new int[n * L];
        var responseMask = new float[n * L];
        var lengths = new int[n];
        for (int i = 0; i < n; i++)
        {
            int r = rows[i];
            if ((uint)r >= (uint)Batch) throw new ArgumentOutOfRangeException(nameof(rows), $"row {r} is outside the batch of {Batch}");
            Array.Copy(Ids, r * T, ids, i * T, T);
            Array.Copy(AttentionMask, r * T, mask, i * T, T);
            Array.Copy(Targets, r * L, targets, i * L, L);
            Array.Copy(ResponseMask, r * L, responseMask, i * L, L);
            lengths[i] = ResponseLengths[r];
        }
        return new SequenceBatch(n, PromptLength, L, ids, mask, targets, responseMask, lengths);
    }
}
