using Rlhf.Tensors;
using Rlhf.Training.Distributed;

namespace Rlhf.Training.Data;

/// <summary>
/// Random training batches for pretraining: each row is a (T+1)-token window starting at a uniform random offset in
/// [0, Count − T − 1] (nanoGPT style: sampling with replacement, windows may overlap, no epochs), split into inputs
/// (first T) and targets (last T). Deterministic for a seed; <see cref="GetState"/>/<see cref="Restore"/> capture
/// everything, so a resumed run draws exactly the batches the uninterrupted run would have drawn.
/// </summary>
public sealed class PackedBatchSampler
{
    private readonly TokenDataset _data;
    private readonly Rng _rng;

    /// <summary>A sampler of (<paramref name="batchSize"/>, <paramref name="seqLen"/>) batches; needs at least T + 1 tokens.</summary>
    public PackedBatchSampler(TokenDataset data, int batchSize, int seqLen, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(seqLen);
        if (data.Count < seqLen + 1L)
            throw new ArgumentException($"PackedBatchSampler: dataset has {data.Count} tokens, a window needs seqLen + 1 = {seqLen + 1L}", nameof(data));
        (_data, BatchSize, SeqLen, _rng) = (data, batchSize, seqLen, new Rng(seed));
    }

    /// <summary>Rows per batch, B.</summary>
    public int BatchSize { get; }

    /// <summary>Window length, T.</summary>
    public int SeqLen { get; }

    /// <summary>Batches drawn so far (including those before a restore).</summary>
    public long BatchesDrawn { get; private set; }

    /// <summary>
    /// The next batch in freshly allocated arrays. Under <c>mpiexec</c> every rank draws the same global batch and
    /// keeps its contiguous shard of rows (<see cref="DataParallel.TakeShard"/>), so the batch has ≤ B rows.
    /// </summary>
    public TokenBatch Next()
    {
        var inputs = new int[BatchSize * SeqLen];
        var targets = new int[BatchSize * SeqLen];
        Next(inputs, targets);
        var (start, rows) = DataParallel.TakeShard(BatchSize);
        if (rows == BatchSize) return new TokenBatch(inputs, targets, BatchSize, SeqLen);
        return new TokenBatch(inputs.AsSpan(start * SeqLen, rows * SeqLen).ToArray(), targets.AsSpan(start * SeqLen, rows * SeqLen).ToArray(), rows, SeqLen);
    }

    /// <summary>The next (global, never sharded) batch into caller buffers: <paramref name="inputs"/> and <paramref name="targets"/> (B, T), row-major.</summary>
    public void Next(Span<int> inputs, Span<int> targets)
    {
        int n = BatchSize * SeqLen;
        if (inputs.Length != n || targets.Length != n)
            throw new ArgumentException($"PackedBatchSampler.Next: buffers hold {inputs.Length} and {targets.Length} ids, a ({BatchSize}, {SeqLen}) batch needs {n}");
        var tokens = _data.Tokens;
        int starts = _data.Count - SeqLen; // valid window starts: [0, Count − T − 1]
        for (int b = 0; b < BatchSize; b++)
        {
            var window = tokens.Slice(_rng.NextInt(starts), SeqLen + 1);
            window[..SeqLen].CopyTo(inputs.Slice(b * SeqLen, SeqLen));
            window[1..].CopyTo(targets.Slice(b * SeqLen, SeqLen));
        }
        BatchesDrawn++;
    }

    /// <summary>The complete sampler state (serializable with System.Text.Json) for a checkpoint.</summary>
    public PackedSamplerState GetState() => new(_rng.GetState(), BatchesDrawn, BatchSize, SeqLen, _data.Count);

    /// <summary>
    /// Continues from <paramref name="state"/>. The sampler must have been built over the same dataset shape (token
    /// count), batch size and window length, else the batches would silently differ: that throws.
    /// </summary>
    public void Restore(PackedSamplerState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.BatchSize != BatchSize || state.SeqLen != SeqLen || state.TokenCount != _data.Count)
            throw new ArgumentException($"PackedBatchSampler.Restore: state is for B={state.BatchSize}, T={state.SeqLen} over {state.TokenCount} tokens, "
                + $"this sampler has B={BatchSize}, T={SeqLen} over {_data.Count} tokens", nameof(state));
        _rng.SetState(state.Rng);
        BatchesDrawn = state.BatchesDrawn;
    }
}

/// <summary>Serializable state of a <see cref="PackedBatchSampler"/>: its generator, progress, and the configuration it belongs to.</summary>
public sealed record PackedSamplerState(RngState Rng, long BatchesDrawn, int BatchSize, int SeqLen, int TokenCount);
