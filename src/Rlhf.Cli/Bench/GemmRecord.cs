namespace Rlhf.Cli.Bench;

/// <summary>One <c>bench gemm</c> result line; <c>pct_of_peak</c> = 100 · gflops / peak GFLOP/s at the same thread count.</summary>
public sealed record GemmRecord(string Bench, string Impl, string Shape, string Variant, double Gflops, double PctOfPeak,
    double MedianMs, int Repeats, string Kernel, int Threads);
