using Rlhf.Tensors;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Labeling;

/// <summary>
/// A noisy labeler that ranks completions by a gold score, for synthetic preference data (as Gao et al. 2022 label
/// with a gold RM). Utilities are u_i = (gold_i + LengthBias·len_i/100) / Temperature, len_i in characters.
/// <list type="bullet">
/// <item><b>plackett-luce</b>: pick the best among the remaining with probability softmax(u) over them, repeat; the
/// ranking's probability is ∏_k exp(u_{π_k}) / Σ_{j≥k} exp(u_{π_j}).</item>
/// <item><b>bradley-terry</b>: every pair is compared independently with P(i ≻ j) = σ(u_i − u_j); completions are
/// ranked by wins, and equal win counts are ordered uniformly at random (a labeler whose pairwise answers cycle has
/// no preference among the cycle, and breaking by index or gold would leak order the labeler did not express).</item>
/// </list>
/// Temperature 0 sorts by the biased gold score (stable: equal scores keep index order) and draws no random numbers.
/// Deterministic for a given seed and call sequence; not thread-safe.
/// </summary>
public sealed class SimulatedLabeler : ILabeler
{
    private readonly IGoldScorer _gold;
    private readonly Rng _rng;
    private readonly bool _bradleyTerry;

    /// <summary>A labeler with its own random stream <c>new Rng(seed)</c>.</summary>
    public SimulatedLabeler(IGoldScorer gold, SimulatedLabelerConfig config, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(gold);
        ArgumentNullException.ThrowIfNull(config);
        if (!(config.Temperature >= 0) || double.IsInfinity(config.Temperature))
            throw new ArgumentOutOfRangeException(nameof(config), $"SimulatedLabeler: temperature must be finite and >= 0, got {config.Temperature}");
        if (!double.IsFinite(config.LengthBias))
            throw new ArgumentOutOfRangeException(nameof(config), $"SimulatedLabeler: length bias must be finite, got {config.LengthBias}");
        _bradleyTerry = config.Model switch
        {
            SimulatedLabelerConfig.PlackettLuce => false,
            SimulatedLabelerConfig.BradleyTerry => true,
            _ => throw new ArgumentException($"SimulatedLabeler: unknown model '{config.Model}' (expected '{SimulatedLabelerConfig.PlackettLuce}' or '{SimulatedLabelerConfig.BradleyTerry}')", nameof(config)),
        };
        _gold = gold;
        Config = config;
        _rng = new Rng(seed);
    }

    /// <summary>The noise model.</summary>
    public SimulatedLabelerConfig Config { get; }

    /// <summary>Biased gold scores s_i = gold_i + LengthBias·len_i/100 (utilities before dividing by temperature).</summary>
    public double[] BiasedScores(string prompt, IReadOnlyList<string> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        var s = new double[completions.Count];
        for (int i = 0; i < s.Length; i++) s[i] = _gold.Score(prompt, completions[i]) + Config.LengthBias * completions[i].Length / 100.0;
        return s;
    }

    /// <inheritdoc/>
    public IReadOnlyList<int> Rank(string prompt, IReadOnlyList<string> completions) => RankScores(BiasedScores(prompt, completions));

    /// <summary>Ranks precomputed biased scores (see <see cref="BiasedScores"/>), best first; consumes this labeler's random stream.</summary>
    public int[] RankScores(ReadOnlySpan<double> scores)
    {
        int k = scores.Length;
        var order = new int[k];
        for (int i = 0; i < k; i++) order[i] = i;
        double t = Config.Temperature;
        if (t == 0)
        {
            double[] keys = scores.ToArray();
            for (int i = 0; i < k; i++) keys[i] = -keys[i];
            Array.Sort(keys, order); // introsort is unstable: restore index order inside equal-score runs below
            for (int i = 0; i < k;)
            {
                int j = i + 1;
                while (j < k && keys[j] == keys[i]) j++;
                Array.Sort(order, i, j - i);
                i = j;
            }
            return order;
        }
        var u = new double[k];
        for (int i = 0; i < k; i++) u[i] = scores[i] / t;
        return _bradleyTerry ? BradleyTerryRank(u, order) : PlackettLuceRank(u, order);
    }

    // order[0..pos) holds the chosen prefix, order[pos..k) the remaining completions.
    private int[] PlackettLuceRank(double[] u, int[] order)
    {
        int k = order.Length;
        var w = new double[k];
        for (int pos = 0; pos < k - 1; pos++)
        {
            double max = double.NegativeInfinity;
            for (int r = pos; r < k; r++) max = Math.Max(max, u[order[r]]);
            double total = 0;
            for (int r = pos; r < k; r++) total += w[r] = Math.Exp(u[order[r]] - max); // max-shifted: no overflow at tiny T
            double target = _rng.NextDouble() * total;
            int pick = k - 1; // rounding can leave target ≥ the running sum; the last remaining then takes it
            for (int r = pos; r < k - 1; r++)
            {
                target -= w[r];
                if (target < 0) { pick = r; break; }
            }
            (order[pos], order[pick]) = (order[pick], order[pos]);
        }
        return order;
    }

    private int[] BradleyTerryRank(double[] u, int[] order)
    {
        int k = order.Length;
        var wins = new int[k];
        for (int i = 0; i < k; i++)
            for (int j = i + 1; j < k; j++)
            {
                if (_rng.NextDouble() < Sigmoid(u[i] - u[j])) wins[i]++;
                else wins[j]++;
            }
        var tieBreak = new double[k];
        for (int i = 0; i < k; i++) tieBreak[i] = _rng.NextDouble();
        Array.Sort(order, (a, b) => wins[a] != wins[b] ? wins[b].CompareTo(wins[a]) : tieBreak[a].CompareTo(tieBreak[b]));
        return order;
    }

    private static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));
}
