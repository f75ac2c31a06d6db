using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rlhf.Models;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Rl;
using Rlhf.Data;

namespace Rlhf.Training.Dpo;

/// <summary>
/// log π_ref(y|x) of every sequence of the training and held-out pairs, computed once before training (the reference
/// never changes, so recomputing it every step would double the cost of DPO for nothing; TRL's
/// <c>precompute_ref_log_probs</c>) and saved with the run as <c>reference_logps.json</c>: a resumed run reads the
/// saved values instead of recomputing them (a recomputation in other batch shapes could differ in the last float
/// bits and break the bit-identical resume). Each value is the sum over the response tokens (including end-of-text)
/// of the reference's log-probabilities, accumulated in double. A data fingerprint ties the file to its data.
/// </summary>
public sealed class ReferenceLogProbCache
{
    /// <summary>File name inside the run directory.</summary>
    public const string FileName = "reference_logps.json";

    /// <summary>A cache of <paramref name="train"/> and <paramref name="heldOut"/> sequence log-probs for data with the given fingerprints.</summary>
    [JsonConstructor]
    public ReferenceLogProbCache(string trainFingerprint, string heldOutFingerprint, double[] train, double[] heldOut) =>
        (TrainFingerprint, HeldOutFingerprint, Train, HeldOut) = (trainFingerprint, heldOutFingerprint, train, heldOut);

    /// <summary><see cref="DpoDataset.Fingerprint"/> of the training data (hex).</summary>
    public string TrainFingerprint { get; }

    /// <summary><see cref="DpoDataset.Fingerprint"/> of the held-out data (hex).</summary>
    public string HeldOutFingerprint { get; }

    /// <summary>log π_ref of each training sequence.</summary>
    public double[] Train { get; }

    /// <summary>log π_ref of each held-out sequence.</summary>
    public double[] HeldOut { get; }

    /// <summary>Computes the cache for both data sets with <paramref name="reference"/> (no gradients).</summary>
    public static ReferenceLogProbCache Compute(ICausalLm reference, DpoDataset train, DpoDataset heldOut, int maxLength, int padId, Action<int>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        return new(Hex(train.Fingerprint()), Hex(heldOut.Fingerprint()),
            SequenceLogProbs(reference, train, maxLength, padId, progress), SequenceLogProbs(reference, heldOut, maxLength, padId, progress));
    }

    /// <summary>
    /// Σ_t log π(y_t | x, y_&lt;t) of every sequence of <paramref name="data"/>, in index order, batched up to
    /// <paramref name="rows"/> sequences whose padded width fits <paramref name="maxLength"/>.
    /// </summary>
    public static double[] SequenceLogProbs(ICausalLm model, DpoDataset data, int maxLength, int padId, Action<int>? progress = null, int rows = 16)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var result = new double[data.SequenceCount];
        int start = 0;
        while (start < data.SequenceCount)
        {
            // 1. the next run of sequences whose left-padded prompts + right-padded responses fit the width
            int end = start, maxPrompt = 0, maxResponse = 0;
            while (end < data.SequenceCount && end - start < rows)
            {
                int p = Math.Max(maxPrompt, data.Prompts[end].Length), r = Math.Max(maxResponse, data.Responses[end].Length);
                if (end > start && p + r > maxLength) break;
                (maxPrompt, maxResponse) = (p, r);
                end++;
            }
            // 2. teacher-forced response log-probs, summed in double over the response mask
            var batch = SequenceBatch.Build(data.Prompts.Skip(start).Take(end - start).ToList(), data.Responses.Skip(start).Take(end - start).ToList(), padId);
            var logProbs = PolicyForward.LogProbs(model, batch, rows: rows);
            int L = batch.ResponseLength;
            for (int b = 0; b < batch.Batch; b++)
            {
                double sum = 0;
                for (int j = 0; j < batch.ResponseLengths[b]; j++) sum += logProbs[b * L + j];
                result[start + b] = sum;
            }
            start = end;
            progress?.Invoke(batch.Batch);
        }
        return result;
    }

    /// <summary>Writes the cache to <paramref name="path"/> atomically.</summary>
    public void Save(string path) => AtomicFile.WriteAllText(path, JsonSerializer.Serialize(this, TrainingCheckpoint.Json));

    /// <summary>
    /// Reads a saved cache and checks it belongs to <paramref name="train"/> and <paramref name="heldOut"/>; throws
    /// <see cref="TrainingException"/> when the data differ (another file, tokenizer or length limit) and
    /// <see cref="DataFormatException"/> when the file is malformed.
    /// </summary>
    public static ReferenceLogProbCache Load(string path, DpoDataset train, DpoDataset heldOut)
    {
        ArgumentNullException.ThrowIfNull(train);
        ArgumentNullException.ThrowIfNull(heldOut);
        ReferenceLogProbCache? cache;
        try { cache = JsonSerializer.Deserialize<ReferenceLogProbCache>(File.ReadAllText(path), TrainingCheckpoint.Json); }
        catch (JsonException e) { throw new DataFormatException($"{path}: not a valid reference log-prob cache ({e.Message})", e); }
        if (cache is null) throw new DataFormatException($"{path}: not a valid reference log-prob cache (null)");
        if (cache.TrainFingerprint != Hex(train.Fingerprint()) || cache.HeldOutFingerprint != Hex(heldOut.Fingerprint())
            || cache.Train.Length != train.SequenceCount || cache.HeldOut.Length != heldOut.SequenceCount)
            throw new TrainingException($"{path}: the reference log-probs were computed for other data (a different preference file, tokenizer, "
                + "length limit or split); resume with the run's original data");
        return cache;
    }

    private static string Hex(ulong v) => v.ToString("x16", CultureInfo.InvariantCulture);
}
