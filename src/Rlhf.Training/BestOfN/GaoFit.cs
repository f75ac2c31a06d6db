namespace Rlhf.Training.BestOfN;

/// <summary>
/// Least-squares fit of Gao et al. 2022's best-of-n functional form (arXiv 2210.10760, eq. 1)
/// <code>R_bon(d) = d(α − β·d),   d = √KL_bon(n)</code>
/// to points (d_i, R_i) with R the reward GAIN over the sampling policy (R(0) = 0: no intercept). The model is linear in
/// (α, β) with features x₁ = d, x₂ = −d², so the minimiser of Σ(R_i − α d_i + β d_i²)² solves the 2×2 normal equations
/// <code>
/// [Σd²   −Σd³] [α]   [ Σ d·R ]
/// [−Σd³   Σd⁴] [β] = [−Σ d²·R]
/// </code>
/// With β &gt; 0 the curve peaks at d* = α/(2β) with R* = α²/(4β): the gold curve's d* is where overoptimisation begins.
/// <see cref="Rmse"/> and <see cref="Points"/> count the points with d &gt; 0 only (the same definition as GaoRlFit).
/// </summary>
public sealed record GaoFit(double Alpha, double Beta, double Rmse, int Points)
{
    /// <summary>R(d) = d(α − βd).</summary>
    public double Predict(double d) => d * (Alpha - Beta * d);

    /// <summary>d* = α/(2β) when β &gt; 0 (a peak), else null (still rising at any distance).</summary>
    public double? PeakDistance => Beta > 0 ? Alpha / (2 * Beta) : null;

    /// <summary>Fits (α, β); needs at least two distinct non-zero distances.</summary>
    public static GaoFit Fit(IReadOnlyList<double> d, IReadOnlyList<double> r)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(r);
        if (d.Count != r.Count) throw new ArgumentException($"GaoFit: {d.Count} distances but {r.Count} rewards");
        double s2 = 0, s3 = 0, s4 = 0, b1 = 0, b2 = 0;
        for (int i = 0; i < d.Count; i++)
        {
            double x = d[i], x2 = x * x;
            if (!double.IsFinite(x) || x < 0 || !double.IsFinite(r[i])) throw new ArgumentException($"GaoFit: point {i} ({x}, {r[i]}) is not a finite point with d ≥ 0");
            (s2, s3, s4, b1, b2) = (s2 + x2, s3 + x2 * x, s4 + x2 * x2, b1 + x * r[i], b2 - x2 * r[i]);
        }
        // normal equations of features (d, −d²); Cauchy–Schwarz: det ≥ 0, = 0 iff all non-zero d are equal
        double det = s2 * s4 - s3 * s3;
        if (!(det > 1e-12 * Math.Max(s2 * s4, 1e-300))) throw new ArgumentException("GaoFit: need at least two distinct non-zero distances");
        double alpha = (b1 * s4 + s3 * b2) / det;
        double beta = (s2 * b2 + s3 * b1) / det;
        // RMSE over the points with d > 0, as GaoRlFit: the d = 0 point is R(0) = 0 by construction, not a measurement
        double sse = 0;
        int n = 0;
        for (int i = 0; i < d.Count; i++)
        {
            if (d[i] == 0) continue;
            double e = r[i] - d[i] * (alpha - beta * d[i]);
            (sse, n) = (sse + e * e, n + 1);
        }
        return new GaoFit(alpha, beta, Math.Sqrt(sse / n), n);
    }
}
