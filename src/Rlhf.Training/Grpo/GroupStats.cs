namespace Rlhf.Training.Grpo;

/// <summary>Per-group count, mean and unbiased std of rewards — the statistics both group baselines need.</summary>
internal static class GroupStats
{
    /// <summary>For each sample: its group's size n, mean and unbiased std (n − 1 denominator, as torch.std; 0 when n = 1).</summary>
    public static (int Count, double Mean, double Std)[] Of(IReadOnlyList<double> rewards, IReadOnlyList<int> groups)
    {
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(groups);
        if (rewards.Count != groups.Count) throw new ArgumentException($"{rewards.Count} rewards but {groups.Count} group ids");
        var sums = new Dictionary<int, (int N, double Sum, double SumSq)>();
        for (int i = 0; i < rewards.Count; i++)
        {
            sums.TryGetValue(groups[i], out var s);
            sums[groups[i]] = (s.N + 1, s.Sum + rewards[i], s.SumSq);
        }
        var means = sums.ToDictionary(kv => kv.Key, kv => kv.Value.Sum / kv.Value.N);
        for (int i = 0; i < rewards.Count; i++) // second pass: squared deviations (stabler than E[x²] − E[x]²)
        {
            var s = sums[groups[i]];
            double d = rewards[i] - means[groups[i]];
            sums[groups[i]] = (s.N, s.Sum, s.SumSq + d * d);
        }
        var result = new (int, double, double)[rewards.Count];
        for (int i = 0; i < rewards.Count; i++)
        {
            var s = sums[groups[i]];
            result[i] = (s.N, means[groups[i]], s.N > 1 ? Math.Sqrt(s.SumSq / (s.N - 1)) : 0);
        }
        return result;
    }
}
