namespace Rlhf.Cli.Bench;

/// <summary>
/// Where a training step's memory goes, in MiB (JSON: snake_case): parameters, their gradients, AdamW's two
/// moments, the activations the graph holds for backward at the start of backward (distinct arrays of the graph,
/// measured on the last step), idle gradient buffers kept for reuse, the managed heap after the last GC, and the
/// process's peak resident set. <see cref="OtherMb"/> is the peak resident set not explained by the first five:
/// the runtime, transient buffers (LM-head chunks, GEMM packing), and heap space not yet collected.
/// </summary>
public sealed record MemoryBreakdown(double WeightsMb, double GradsMb, double OptimizerMb, double ActivationsMb, double GradPoolMb,
    double GcHeapMb, double PeakRssMb)
{
    /// <summary>Peak resident set minus weights, gradients, optimizer state, activations and pooled buffers.</summary>
    public double OtherMb => Math.Round(PeakRssMb - WeightsMb - GradsMb - OptimizerMb - ActivationsMb - GradPoolMb, 1);
}
