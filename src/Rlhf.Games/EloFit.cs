using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>
/// Elo ratings as the maximum-likelihood Bradley–Terry model (Bradley &amp; Terry 1952; Elo 1978's logistic form):
/// P(i beats j) = 1 / (1 + 10^{(R_j − R_i)/400}), a draw counting as half a win for each side. Fitted with Hunter's
/// (2004) minorise–maximise iteration on γ_i = 10^{R_i/400}: γ_i ← S_i / Σ_j n_ij/(γ_i + γ_j), S_i the score and
/// n_ij the games of i against j. With <c>priorDraws</c> &gt; 0 every pair that met gets that many virtual drawn
/// games (as in BayesElo): a player who won or lost every game would otherwise have an infinite rating. Ratings are
/// shifted so the anchor player has 0. Confidence intervals: percentile bootstrap over games (each pair's games
/// resampled with replacement, the fit repeated); where a pair's <see cref="PairResult.Units"/> are known, its
/// colour-swapped game pairs are resampled whole (games from one opening are correlated).
/// </summary>
public static class EloFit
{
    /// <summary>Ratings of <paramref name="players"/> players from <paramref name="pairs"/>, anchor at 0.</summary>
    public static double[] Fit(int players, IReadOnlyList<PairResult> pairs, double priorDraws = 1.0, int anchor = 0)
    {
        var score = new double[players];
        var games = new double[players, players];
        foreach (var p in pairs)
        {
            double n = p.Games + priorDraws, s = p.Score + priorDraws / 2;
            games[p.I, p.J] += n;
            games[p.J, p.I] += n;
            score[p.I] += s;
            score[p.J] += n - s;
        }
        var gamma = Enumerable.Repeat(1.0, players).ToArray();
        for (int iter = 0; iter < 10_000; iter++)
        {
            double maxChange = 0;
            for (int i = 0; i < players; i++)
            {
                double denom = 0;
                for (int j = 0; j < players; j++) if (j != i && games[i, j] > 0) denom += games[i, j] / (gamma[i] + gamma[j]);
                if (denom == 0) continue; // played nobody
                double next = Math.Max(score[i], 1e-300) / denom;
                maxChange = Math.Max(maxChange, Math.Abs(Math.Log(next / gamma[i])));
                gamma[i] = next;
            }
            double norm = gamma[anchor]; // rescale each sweep (the model is invariant to a common factor)
            for (int i = 0; i < players; i++) gamma[i] /= norm;
            if (maxChange < 1e-10) break;
        }
        return [.. gamma.Select(g => 400 * Math.Log10(g))];
    }

    /// <summary>
    /// Percentile bootstrap: <paramref name="samples"/> refits on games (or colour-swapped game pairs, <see cref="GameUnit"/>) resampled within each pair; returns the
    /// [α/2, 1 − α/2] interval of every rating and of every rating difference R_i − R_j (as lo[i, j], hi[i, j]).
    /// </summary>
    public static (double[] Lo, double[] Hi, double[,] DiffLo, double[,] DiffHi) Bootstrap(int players, IReadOnlyList<PairResult> pairs, Rng rng,
        int samples = 200, double alpha = 0.05, double priorDraws = 1.0, int anchor = 0)
    {
        var fits = new double[samples][];
        for (int b = 0; b < samples; b++)
        {
            var resampled = pairs.Select(p =>
            {
                int w = 0, d = 0, l = 0;
                if (p.Units is { Count: > 0 } units) // colour-swapped pairs resampled whole
                {
                    for (int u = 0; u < units.Count; u++)
                    {
                        var unit = units[rng.NextInt(units.Count)];
                        (w, d, l) = (w + unit.Wins, d + unit.Draws, l + unit.Losses);
                    }
                    return p with { Wins = w, Draws = d, Losses = l, Units = null };
                }
                for (int g = 0; g < p.Games; g++)
                {
                    int k = rng.NextInt(p.Games);
                    if (k < p.Wins) w++;
                    else if (k < p.Wins + p.Draws) d++;
                    else l++;
                }
                return p with { Wins = w, Draws = d, Losses = l };
            }).ToList();
            fits[b] = Fit(players, resampled, priorDraws, anchor);
        }
        double Q(IEnumerable<double> xs, double q)
        {
            var s = xs.OrderBy(x => x).ToArray();
            double pos = q * (s.Length - 1);
            int lo = (int)Math.Floor(pos);
            return lo + 1 < s.Length ? s[lo] + (pos - lo) * (s[lo + 1] - s[lo]) : s[lo];
        }
        var rLo = new double[players];
        var rHi = new double[players];
        var dLo = new double[players, players];
        var dHi = new double[players, players];
        for (int i = 0; i < players; i++)
        {
            rLo[i] = Q(fits.Select(f => f[i]), alpha / 2);
            rHi[i] = Q(fits.Select(f => f[i]), 1 - alpha / 2);
            for (int j = 0; j < players; j++)
            {
                dLo[i, j] = Q(fits.Select(f => f[i] - f[j]), alpha / 2);
                dHi[i, j] = Q(fits.Select(f => f[i] - f[j]), 1 - alpha / 2);
            }
        }
        return (rLo, rHi, dLo, dHi);
    }

    /// <summary>Expected score of a player rated <paramref name="ri"/> against one rated <paramref name="rj"/>: 1 / (1 + 10^{(rj − ri)/400}).</summary>
    public static double ExpectedScore(double ri, double rj) => 1 / (1 + Math.Pow(10, (rj - ri) / 400));
}
