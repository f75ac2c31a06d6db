using System.Diagnostics;
using Rlhf.Tensors;

namespace Rlhf.Training.Distributed;

/// <summary>
/// The data-parallel gradient exchange: every parameter's gradient becomes Σ_r w_r·g_r over the ranks (w_r: the
/// rank's share of the global loss, <see cref="DataParallel.LocalShare"/>), the same on every rank, so every rank's
/// optimizer takes the identical step. Gradients are packed, in parameter order, into buckets of
/// <see cref="BucketFloats"/> floats (16 MiB) and each bucket is summed with one MPI_Allreduce: a few large messages
/// reach the network's bandwidth where hundreds of per-tensor messages would pay the latency each time; a tensor
/// larger than a bucket spans several. The exchange runs after the backward pass (not overlapped with it: on CPUs
/// the backward pass uses every core, so overlapping would take cores from it; see docs/scaling.md).
/// </summary>
public static class GradientAllReduce
{
    /// <summary>Floats per bucket (one MPI_Allreduce each): 4 Mi floats = 16 MiB.</summary>
    public const int BucketFloats = 4 << 20;

    /// <summary>Seconds spent in the last <see cref="Run"/> (packing, the allreduces and unpacking).</summary>
    public static double LastSeconds { get; private set; }

    /// <summary>Seconds spent in <see cref="Run"/> since the process started.</summary>
    public static double TotalSeconds { get; private set; }

    /// <summary>
    /// Replaces each gradient of <paramref name="parameters"/> by Σ_r <paramref name="share"/>_r·g_r over
    /// <paramref name="group"/>. A parameter without a gradient on this rank (an empty shard, a branch not taken)
    /// counts as zeros; one without a gradient on every rank keeps none.
    /// </summary>
    public static void Run(IProcessGroup group, IReadOnlyList<Tensor> parameters, double share) => Run(group, parameters, share, BucketFloats);

    /// <summary><see cref="Run(IProcessGroup, IReadOnlyList{Tensor}, double)"/> with buckets of <paramref name="bucketFloats"/> floats (tests).</summary>
    internal static void Run(IProcessGroup group, IReadOnlyList<Tensor> parameters, double share, int bucketFloats)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(parameters);
        long started = Stopwatch.GetTimestamp();

        // 1. which parameters have a gradient anywhere (one small sum), so every rank packs the same layout
        var present = new double[parameters.Count];
        for (int i = 0; i < present.Length; i++) present[i] = parameters[i].Grad is null ? 0 : 1;
        group.AllReduceSum(present);
        long total = 0;
        for (int i = 0; i < present.Length; i++) if (present[i] > 0) total += parameters[i].Size;
        if (total == 0) { Record(started); return; }

        // 2. buckets: w·g in (zeros for a gradient this rank lacks), sum over ranks, copy back
        var bucket = new float[(int)Math.Min(bucketFloats, total)];
        var pieces = new List<(Tensor Param, int Offset, int Length, int At)>();
        int filled = 0;
        void Flush()
        {
            if (filled == 0) return;
            group.AllReduceSum(bucket.AsSpan(0, filled));
            foreach (var (p, offset, length, at) in pieces) bucket.AsSpan(at, length).CopyTo(p.GradBuffer().Slice(offset, length));
            pieces.Clear();
            filled = 0;
        }
        float w = (float)share;
        for (int i = 0; i < parameters.Count; i++)
        {
            if (present[i] == 0) continue;
            var p = parameters[i];
            var grad = p.Grad;
            if (grad is not null && !grad.IsContiguous) throw new InvalidOperationException($"GradientAllReduce: gradient of '{p.Name}' is not contiguous");
            for (int offset = 0; offset < p.Size;)
            {
                if (filled == bucket.Length) Flush();
                int n = Math.Min(p.Size - offset, bucket.Length - filled);
                var into = bucket.AsSpan(filled, n);
                if (grad is null) into.Clear();
                else if (w == 1f) grad.Span.Slice(offset, n).CopyTo(into);
                else System.Numerics.Tensors.TensorPrimitives.Multiply(grad.Span.Slice(offset, n), w, into);
                pieces.Add((p, offset, n, filled));
                filled += n;
                offset += n;
            }
        }
        Flush();
        Record(started);
    }

    private static void Record(long started)
    {
        LastSeconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
        TotalSeconds += LastSeconds;
    }
}
