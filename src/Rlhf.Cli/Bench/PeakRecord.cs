namespace Rlhf.Cli.Bench;

/// <summary>One <c>bench peak</c> result line (JSON: snake_case, one object per line).</summary>
public sealed record PeakRecord(string Bench, string Impl, double Gflops, double GflopsPerCore, int Width, int Cores, double Seconds);
