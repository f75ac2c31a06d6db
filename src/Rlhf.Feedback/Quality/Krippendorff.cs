namespace Rlhf.Feedback.Quality;

/// <summary>
/// Krippendorff's α for nominal data (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability"): agreement
/// among any number of coders, with missing values, corrected for the agreement expected by chance.
/// <para>
/// 1. Each unit holds the values the coders gave it; units with fewer than 2 values are not pairable and dropped.
/// 2. Coincidence matrix: every ordered pair of values from different coders in unit u adds <c>1 / (m_u − 1)</c> to
/// <c>o[c, k]</c>, so each pairable unit contributes m_u in total. 3. <c>n_c = Σ_k o[c, k]</c>, <c>n = Σ_c n_c</c>.
/// 4. <c>α = 1 − (n − 1) · Σ_{c≠k} o[c, k] / Σ_{c≠k} n_c · n_k</c> (observed over expected disagreement, δ = 1 for
/// different values). α = 1: perfect agreement; 0: chance level; below 0: systematic disagreement.
/// </para>
/// </summary>
public static class Krippendorff
{
    /// <summary>Nominal α over <paramref name="units"/> (each the values coders gave one unit); null when no unit is pairable or all values are equal (no variation to agree on).</summary>
    public static double? NominalAlpha(IEnumerable<IReadOnlyList<int>> units)
    {
        ArgumentNullException.ThrowIfNull(units);
        var o = new Dictionary<(int, int), double>();
        foreach (var unit in units)
        {
            int m = unit.Count;
            if (m < 2) continue;
            for (int a = 0; a < m; a++)
                for (int b = 0; b < m; b++)
                    if (a != b) o[(unit[a], unit[b])] = o.GetValueOrDefault((unit[a], unit[b])) + 1.0 / (m - 1);
        }
        var nc = new Dictionary<int, double>();
        foreach (var ((c, _), v) in o) nc[c] = nc.GetValueOrDefault(c) + v;
        double n = nc.Values.Sum();
        double observed = o.Where(kv => kv.Key.Item1 != kv.Key.Item2).Sum(kv => kv.Value);
        double expected = 0;
        foreach (var (c, x) in nc)
            foreach (var (k, y) in nc)
                if (c != k) expected += x * y;
        return expected == 0 ? null : 1 - (n - 1) * observed / expected;
    }
}
