namespace Rlhf.Training.Reporting;

/// <summary>
/// Least-squares fit of Gao et al. 2022's RL functional form (arXiv 2210.10760, eq. 2)
/// <code>R_RL(d) = d(α − β·ln d),   d = √KL(π ‖ π_init)</code>
/// to points (d_i, R_i), R the reward GAIN over the initial policy (R(0) = 0). Linear in (α, β) with features
/// x₁ = d and x₂ = −d·ln d, solved by the 2×2 normal equations. With β &gt; 0 the curve peaks where
/// dR/dd = α − β(ln d + 1) = 0, i.e. d* = exp(α/β − 1) (derived; the paper gives the form, not the peak).
/// </summary>
public sealed record GaoRlFit(double Alpha, double Beta, double Rmse, int Points)
{
    /// <summary>R(d) = d(α − β ln d), with R(0) = 0.</summary>
    public double Predict(double d) => d <= 0 ? 0 : d * (Alpha - Beta * Math.Log(d));

    /// <summary>d* = exp(α/β − 1) when β &gt; 0, else null (no peak).</summary>
    public double? PeakDistance => Beta > 0 ? Math.Exp(Alpha / Beta - 1) : null;

    /// <summary>Fits (α, β) on the points with d &gt; 0; needs two of them with distinct d.</summary>
    public static GaoRlFit Fit(IReadOnlyList<double> d, IReadOnlyList<double> r)
    {
        ArgumentNullException.ThrowIfNull(d);
        ArgumentNullException.ThrowIfNull(r);
        if (d.Count != r.Count) throw new ArgumentException($"GaoRlFit: {d.Count} distances but {r.Count} rewards");
        double s11 = 0, s12 = 0, s22 = 0, b1 = 0, b2 = 0;
        int n = 0;
        for (int i = 0; i < d.Count; i++)
        {
            if (!double.IsFinite(d[i]) || d[i] < 0 || !double.IsFinite(r[i])) throw new ArgumentException($"GaoRlFit: point {i} ({d[i]}, {r[i]}) is not a finite point with d ≥ 0");
            if (d[i] == 0) continue; // R(0) = 0 holds by construction
            double x1 = d[i], x2 = -d[i] * Math.Log(d[i]);
            (s11, s12, s22, b1, b2) = (s11 + x1 * x1, s12 + x1 * x2, s22 + x2 * x2, b1 + x1 * r[i], b2 + x2 * r[i]);
            n++;
        }
        double det = s11 * s22 - s12 * s12;
        if (n < 2 || !(det > 1e-12 * Math.Max(s11 * s22, 1e-300))) throw new ArgumentException("GaoRlFit: need at least two distinct non-zero distances");
        double alpha = (b1 * s22 - s12 * b2) / det, beta = (s11 * b2 - s12 * b1) / det;
        var fit = new GaoRlFit(alpha, beta, 0, n);
        double sse = 0;
        for (int i = 0; i < d.Count; i++) if (d[i] > 0) { double e = r[i] - fit.Predict(d[i]); sse += e * e; }
        return fit with { Rmse = Math.Sqrt(sse / n) };
    }
}
