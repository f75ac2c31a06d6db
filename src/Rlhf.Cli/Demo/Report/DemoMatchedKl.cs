namespace Rlhf.Cli.Demo.Report;

/// <summary>
/// Methods compared at (about) the same KL budget: the target is best-of-N's largest √KL; PPO contributes the iteration
/// whose √KL is closest to it, DPO its final evaluation (its own √KL, usually much smaller). <see cref="Matched"/> says
/// whether a point is within 25 % of the target, i.e. whether comparing its gold with best-of-N's is fair.
/// </summary>
public sealed record DemoMatchedKl(double TargetSqrtKl, IReadOnlyList<DemoKlPoint> Points)
{
    /// <summary>Relative tolerance on √KL for two points to count as matched.</summary>
    public const double Tolerance = 0.25;

    /// <summary>True when <paramref name="point"/>'s √KL is within <see cref="Tolerance"/> of the target.</summary>
    public bool Matched(DemoKlPoint point)
    {
        ArgumentNullException.ThrowIfNull(point);
        return Math.Abs(point.SqrtKl - TargetSqrtKl) <= Tolerance * Math.Max(TargetSqrtKl, 1e-9);
    }
}
