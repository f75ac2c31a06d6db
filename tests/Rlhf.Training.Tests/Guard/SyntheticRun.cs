using Rlhf.Tensors;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Tests.Guard;

/// <summary>
/// Synthetic RL metric curves for guard tests: KL grows linearly, d = √KL; the proxy keeps rising; the gold follows
/// Gao et al.'s R(d) = d(α − βd) (rises, peaks at d* = α/2β, falls) plus Gaussian noise; length, repetition and
/// ensemble std stay healthy unless a test changes them.
/// </summary>
internal static class SyntheticRun
{
    public const double KlPerIteration = 0.02, Alpha = 1.0, Beta = 0.5;

    /// <summary>Iteration of the true gold peak: KL = (α/2β)² at t = KL / rate.</summary>
    public static int PeakIteration => (int)Math.Round(Math.Pow(Alpha / (2 * Beta), 2) / KlPerIteration);

    /// <summary>Noise-free gold at iteration t.</summary>
    public static double TrueGold(int t) { double d = Math.Sqrt(KlPerIteration * t); return d * (Alpha - Beta * d); }

    /// <summary>Iterations 0..count−1 of an overoptimising run with gold noise std <paramref name="noise"/>.</summary>
    public static List<Dictionary<string, double>> Overoptimising(int count, ulong seed, double noise = 0.02)
    {
        var rng = new Rng(seed);
        var run = new List<Dictionary<string, double>>(count);
        for (int t = 0; t < count; t++)
        {
            double kl = KlPerIteration * t, d = Math.Sqrt(kl);
            run.Add(new()
            {
                [RlMetricNames.ProxyReward] = 1.5 * d + noise * rng.NextNormal(),
                [RlMetricNames.GoldReward] = TrueGold(t) + noise * rng.NextNormal(),
                [RlMetricNames.Kl] = kl,
                [RlMetricNames.ResponseLength] = 30 + 2 * rng.NextNormal(),
                [RlMetricNames.RepetitionRate] = Math.Abs(0.05 + 0.02 * rng.NextNormal()),
                [RlMetricNames.EnsembleStd] = 0.2 + 0.02 * rng.NextNormal(),
                [RlMetricNames.Entropy] = 2.0 - 0.002 * t,
            });
        }
        return run;
    }

    /// <summary>A healthy run: proxy and gold both rise and saturate, everything else steady; KL grows slowly.</summary>
    public static List<Dictionary<string, double>> Healthy(int count, ulong seed, double noise = 0.02)
    {
        var rng = new Rng(seed);
        var run = new List<Dictionary<string, double>>(count);
        for (int t = 0; t < count; t++)
        {
            double gain = 0.5 * (1 - Math.Exp(-t / 40.0));
            run.Add(new()
            {
                [RlMetricNames.ProxyReward] = 1.2 * gain + noise * rng.NextNormal(),
                [RlMetricNames.GoldReward] = gain + noise * rng.NextNormal(),
                [RlMetricNames.HeldOutReward] = 0.9 * gain + noise * rng.NextNormal(),
                [RlMetricNames.Kl] = 0.01 * t,
                [RlMetricNames.ResponseLength] = 30 + 2 * rng.NextNormal(),
                [RlMetricNames.RepetitionRate] = Math.Abs(0.05 + 0.02 * rng.NextNormal()),
                [RlMetricNames.EnsembleStd] = 0.2 + 0.02 * rng.NextNormal(),
            });
        }
        return run;
    }

    /// <summary>Only the one metric <paramref name="key"/>, valued f(t) + noise·N(0,1).</summary>
    public static List<Dictionary<string, double>> Single(string key, int count, Func<int, double> f, ulong seed, double noise)
    {
        var rng = new Rng(seed);
        return [.. Enumerable.Range(0, count).Select(t => new Dictionary<string, double> { [key] = f(t) + noise * rng.NextNormal() })];
    }

    /// <summary>Feeds <paramref name="run"/> to <paramref name="guard"/> until it stops; returns the stop iteration (null = ran to the end) and the verdicts.</summary>
    public static (int? Stop, List<GuardVerdict> Verdicts) Drive(IRunGuard guard, IReadOnlyList<Dictionary<string, double>> run, int from = 0)
    {
        var verdicts = new List<GuardVerdict>();
        for (int t = from; t < run.Count; t++)
        {
            var v = guard.Observe(t, run[t]);
            verdicts.Add(v);
            if (v.Stop) return (t, verdicts);
        }
        return (null, verdicts);
    }
}
