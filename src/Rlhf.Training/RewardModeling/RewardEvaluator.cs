using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.RewardModeling;

/// <summary>Held-out quality of a reward model on preference data: accuracy with its interval, margin, loss, calibration.</summary>
public static class RewardEvaluator
{
    /// <summary>Confidence bins of the calibration table: [0.5, 0.55), …, [0.95, 1].</summary>
    public const int CalibrationBins = 10;

    /// <summary>
    /// Scores every completion of the records that fit <paramref name="seqLen"/> (default: the model context) and
    /// compares each pair (<see cref="RewardEvaluation"/>). Deterministic; runs without gradients.
    /// </summary>
    public static RewardEvaluation Evaluate(RewardModel model, ChatTemplate template, PreferenceData data, int? seqLen = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        var collator = new RewardCollator(template, seqLen ?? model.Trunk.MaxPositions);
        return Evaluate(model, collator.Encode(data.Records, out int skipped), skipped);
    }

    /// <summary>The evaluation of already encoded records (<see cref="RewardCollator.Encode"/>); <paramref name="skipped"/> is reported as given.</summary>
    public static RewardEvaluation Evaluate(RewardModel model, IReadOnlyList<EncodedRanking> records, int skipped = 0)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(records);
        var seqs = new List<int[]>();
        var pairs = new List<ScorePair>();
        foreach (var r in records)
        {
            int first = seqs.Count;
            seqs.AddRange(r.Sequences);
            foreach (var p in r.Pairs) pairs.Add(new ScorePair(first + p.Better, first + p.Worse, (float)p.Weight));
        }
        var raw = RewardCollator.ScoreRaw(model, seqs);
        return Summarize(raw, pairs, records.Count, skipped, model.Std);
    }

    /// <summary>The evaluation of given raw <paramref name="scores"/> and <paramref name="pairs"/> (G = <paramref name="records"/>).</summary>
    public static RewardEvaluation Summarize(ReadOnlySpan<float> scores, IReadOnlyList<ScorePair> pairs, int records, int skipped = 0, float std = 1f)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        double correct = 0, margin = 0, loss = 0;
        var count = new int[CalibrationBins];
        var confidence = new double[CalibrationBins];
        var hits = new double[CalibrationBins];
        foreach (var pair in pairs)
        {
            double d = (double)scores[pair.Better] - scores[pair.Worse];
            double hit = d > 0 ? 1 : d == 0 ? 0.5 : 0;
            double p = 1 / (1 + Math.Exp(-d)), c = Math.Max(p, 1 - p);
            // −log σ(d) = softplus(−d), computed without overflow for large |d|
            loss += pair.Weight * (Math.Max(-d, 0) + Math.Log(1 + Math.Exp(-Math.Abs(d))));
            correct += hit;
            margin += d;
            int bin = Math.Min(CalibrationBins - 1, (int)((c - 0.5) * 2 * CalibrationBins));
            count[bin]++;
            confidence[bin] += c;
            hits[bin] += hit;
        }
        int n = pairs.Count;
        var (lower, upper) = Wilson(correct, n);
        var table = new CalibrationBin[CalibrationBins];
        for (int b = 0; b < CalibrationBins; b++)
            table[b] = new CalibrationBin(0.5 + 0.5 * b / CalibrationBins, 0.5 + 0.5 * (b + 1) / CalibrationBins, count[b],
                count[b] == 0 ? double.NaN : confidence[b] / count[b], count[b] == 0 ? double.NaN : hits[b] / count[b]);
        return new RewardEvaluation(records, skipped, n, n == 0 ? double.NaN : correct / n, lower, upper,
            n == 0 ? double.NaN : margin / n / std, records == 0 ? double.NaN : loss / records, table);
    }

    /// <summary>
    /// Wilson score interval of a proportion <paramref name="successes"/>/<paramref name="n"/> at normal quantile
    /// <paramref name="z"/> (1.96 = 95%): (p̂ + z²/2n ± z·√(p̂(1−p̂)/n + z²/4n²)) / (1 + z²/n). Unlike the normal
    /// approximation it stays inside [0, 1] and is sensible at p̂ = 0 or 1. (NaN, NaN) when n = 0.
    /// </summary>
    public static (double Lower, double Upper) Wilson(double successes, int n, double z = 1.96)
    {
        if (n <= 0) return (double.NaN, double.NaN);
        double p = successes / n, z2 = z * z;
        double center = p + z2 / (2 * n), half = z * Math.Sqrt(p * (1 - p) / n + z2 / (4.0 * n * n)), denom = 1 + z2 / n;
        return (Math.Max(0, (center - half) / denom), Math.Min(1, (center + half) / denom));
    }
}
