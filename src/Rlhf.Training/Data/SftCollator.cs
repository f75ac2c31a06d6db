using Rlhf.Data;

namespace Rlhf.Training.Data;

/// <summary>
/// Turns tokenized (prompt, response) pairs into padded next-token batches whose loss covers only the response.
/// <para>
/// Sequence per example: <c>s = prompt ++ response ++ [eot]</c>, length P + R + 1. Inputs are s[0 .. P+R),
/// targets s[1 .. P+R], so input position j predicts s[j+1]; the loss applies where s[j+1] is a response token or
/// the final end-of-text, i.e. j ≥ P − 1 (R + 1 positions). A multi-turn example (<see cref="TokenizedSft.ResponseMask"/>)
/// keeps the loss only where the mask marks an assistant token, and ends with its own end id (end-of-turn). Rows are right-padded (inputs with the pad id, targets
/// with <see cref="IgnoreIndex"/>) to the longest row in the batch, or to <see cref="MaxLength"/> when fixed-length
/// batches are asked for.
/// </para>
/// <para>
/// Length policy (<see cref="Fit"/>): inputs must fit MaxLength, i.e. P + R ≤ MaxLength. A too-long example loses
/// prompt tokens from the LEFT (the end of the prompt, next to the response, is kept). The response is never cut:
/// when even a prompt cut down to <c>min(P, minPromptTokens)</c> tokens leaves no room for it, the example is
/// skipped and counted, or an exception is thrown, per <see cref="SftOverlongPolicy"/>. Prompts and responses must be
/// non-empty (an empty prompt leaves the first response token with nothing to be predicted from).
/// </para>
/// </summary>
public sealed class SftCollator
{
    /// <summary>Target value for positions without loss (the PyTorch cross-entropy convention).</summary>
    public const int IgnoreIndex = -100;

    /// <summary>A collator for sequences of at most <paramref name="maxLength"/> input tokens.</summary>
    public SftCollator(int maxLength, int eotId, int padId, SftOverlongPolicy overlong = SftOverlongPolicy.Skip,
        int minPromptTokens = 1, bool padToMaxLength = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(eotId);
        ArgumentOutOfRangeException.ThrowIfNegative(padId);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minPromptTokens);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(minPromptTokens, maxLength);
        if (!Enum.IsDefined(overlong)) throw new ArgumentOutOfRangeException(nameof(overlong));
        (MaxLength, EotId, PadId, Overlong, MinPromptTokens, PadToMaxLength) = (maxLength, eotId, padId, overlong, minPromptTokens, padToMaxLength);
    }

    /// <summary>Maximum input length T (prompt + response tokens; the end-of-text is only a target).</summary>
    public int MaxLength { get; }

    /// <summary>End-of-text id appended after every response.</summary>
    public int EotId { get; }

    /// <summary>Id written into padded input positions (never a target).</summary>
    public int PadId { get; }

    /// <summary>What happens to examples whose response cannot fit.</summary>
    public SftOverlongPolicy Overlong { get; }

    /// <summary>Prompt tokens kept at least (when the prompt has that many) when truncating.</summary>
    public int MinPromptTokens { get; }

    /// <summary>Pad every batch to <see cref="MaxLength"/> instead of its longest row.</summary>
    public bool PadToMaxLength { get; }

    /// <summary>
    /// Applies the length policy to every example (in order): kept examples, with prompts cut from the left where
    /// needed, and the counts in <paramref name="report"/>. Throws <see cref="DataFormatException"/> for an empty
    /// prompt or response, and for an over-long response under <see cref="SftOverlongPolicy.Throw"/>.
    /// </summary>
    public List<TokenizedSft> Fit(IEnumerable<TokenizedSft> examples, out SftFitReport report)
    {
        ArgumentNullException.ThrowIfNull(examples);
        var kept = new List<TokenizedSft>();
        int total = 0, truncated = 0, skipped = 0;
        long dropped = 0;
        foreach (var ex in examples)
        {
            string where = ex.Source ?? $"example {total}";
            total++;
            int p = ex.PromptIds.Length, r = ex.ResponseIds.Length;
            if (p == 0 || r == 0) throw new DataFormatException($"{where}: {(p == 0 ? "prompt" : "response")} has no tokens; expected non-empty text");
            if (p + r <= MaxLength)
            {
                kept.Add(ex);
                continue;
            }
            if (r + Math.Min(p, MinPromptTokens) > MaxLength)
            {
                if (Overlong == SftOverlongPolicy.Throw)
                    throw new DataFormatException($"{where}: response has {r} tokens (+1 end-of-text), which with at least "
                        + $"{Math.Min(p, MinPromptTokens)} prompt token(s) does not fit the max length {MaxLength}; responses are never truncated");
                skipped++;
                continue;
            }
            int keep = MaxLength - r;
            kept.Add(ex with { PromptIds = ex.PromptIds[(p - keep)..] });
            truncated++;
            dropped += p - keep;
        }
        report = new SftFitReport(total, kept.Count, truncated, dropped, skipped, MaxLength);
        return kept;
    }

    /// <summary>Collates fitted examples (each with P + R ≤ MaxLength, see <see cref="Fit"/>) into one batch.</summary>
    public SftBatch Collate(IReadOnlyList<TokenizedSft> examples, int epoch = 0)
    {
        ArgumentNullException.ThrowIfNull(examples);
        if (examples.Count == 0) throw new ArgumentException("SftCollator.Collate: empty batch", nameof(examples));
        int t = 0;
        for (int i = 0; i < examples.Count; i++)
        {
            var ex = examples[i];
            int len = ex.PromptIds.Length + ex.ResponseIds.Length;
            if (len > MaxLength || ex.PromptIds.Length == 0 || ex.ResponseIds.Length == 0)
                throw new ArgumentException($"SftCollator.Collate: {ex.Source ?? $"row {i}"} has {ex.PromptIds.Length} prompt + {ex.ResponseIds.Length} "
                    + $"response tokens; expected both non-empty and at most {MaxLength} in all (run Fit first)", nameof(examples));
            t = Math.Max(t, len);
        }
        if (PadToMaxLength) t = MaxLength;

        int b = examples.Count;
        var inputs = new int[b * t];     // (B, T)
        var targets = new int[b * t];    // (B, T)
        var mask = new float[b * t];     // (B, T)
        int lossTokens = 0, real = 0;
        for (int row = 0; row < b; row++)
        {
            var prompt = examples[row].PromptIds;
            var response = examples[row].ResponseIds;
            int p = prompt.Length, r = response.Length, o = row * t;
            var inRow = inputs.AsSpan(o, t);
            var tgRow = targets.AsSpan(o, t);
            prompt.CopyTo(inRow);
            response.CopyTo(inRow[p..]);
            inRow[(p + r)..].Fill(PadId);
            tgRow[..(p - 1)].Fill(IgnoreIndex);   // positions predicting prompt tokens
            response.CopyTo(tgRow[(p - 1)..]);    // position p−1+k predicts response[k]
            tgRow[p + r - 1] = examples[row].EndId ?? EotId; // the last response position predicts the end
            tgRow[(p + r)..].Fill(IgnoreIndex);   // padding
            mask.AsSpan(o + p - 1, r + 1).Fill(1f);
            if (examples[row].ResponseMask is { } trained) // multi-turn: user turns and template tokens are context
                for (int k = 0; k < r; k++)
                    if (!trained[k]) (tgRow[p - 1 + k], mask[o + p - 1 + k]) = (IgnoreIndex, 0f);
            lossTokens += examples[row].LossTokens;
            real += p + r;
        }
        return new SftBatch(inputs, targets, mask, b, t, lossTokens, epoch) { RealTokens = real };
    }
}
