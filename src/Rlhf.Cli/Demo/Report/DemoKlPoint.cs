namespace Rlhf.Cli.Demo.Report;

/// <summary>
/// One method's result at a distance √KL from the SFT model, for the matched-KL comparison: which method, where in its
/// run (iteration, n, step), the distance, and its gold and proxy reward (null when not measured).
/// </summary>
public sealed record DemoKlPoint(string Method, string Where, double SqrtKl, double? Gold, double? Proxy);
