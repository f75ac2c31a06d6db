using System.Text;

namespace Rlhf.Training.Distributed;

/// <summary>
/// One step's metrics over all ranks, so that <c>metrics.jsonl</c> holds the figures of the global batch. Every rank
/// logs the same names in the same order (checked); per name:
/// <list type="bullet">
/// <item>equal on every rank (learning rate, the gradient norm after the exchange, the epoch, held-out figures of the
/// identical models): kept as is;</item>
/// <item>a rate (<c>…_per_s</c>): summed, the throughput of the whole run;</item>
/// <item>otherwise a mean over the rank's shard (loss, rewards, accuracy): Σ_r w_r·v_r / Σ_r w_r with w_r the rank's
/// share of the global batch (<see cref="DataParallel.LocalShare"/>; 1/N when unset), over the ranks with w_r &gt; 0
/// (a rank with an empty shard has nothing to average).</item>
/// </list>
/// </summary>
public static class StepMetrics
{
    /// <summary>Replaces <paramref name="values"/> by the global figures (see the class summary); one process: unchanged.</summary>
    public static void Combine(IProcessGroup group, List<(string Name, double Value)> values, double? share)
    {
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(values);
        if (group.Size == 1) return;
        double w = share ?? 1.0 / group.Size;
        var parts = group.AllGather(Encode(values, w));
        var ranks = new (double Share, List<(string Name, double Value)> Values)[parts.Length];
        for (int r = 0; r < parts.Length; r++) ranks[r] = Decode(parts[r]);
        for (int r = 1; r < ranks.Length; r++)
            if (!ranks[r].Values.Select(v => v.Name).SequenceEqual(ranks[0].Values.Select(v => v.Name)))
                throw new DistributedException($"rank {r} logged the metrics [{string.Join(", ", ranks[r].Values.Select(v => v.Name))}] "
                    + $"but rank 0 [{string.Join(", ", ranks[0].Values.Select(v => v.Name))}]: the processes run different steps");
        for (int i = 0; i < values.Count; i++)
        {
            string name = values[i].Name;
            double first = ranks[0].Values[i].Value;
            if (ranks.All(r => r.Values[i].Value.Equals(first))) { values[i] = (name, first); continue; }
            if (name.EndsWith("_per_s", StringComparison.Ordinal)) { values[i] = (name, ranks.Sum(r => r.Values[i].Value)); continue; }
            double sum = 0, weight = 0;
            foreach (var (s, v) in ranks)
            {
                if (!(s > 0)) continue;
                sum += s * v[i].Value;
                weight += s;
            }
            values[i] = (name, weight > 0 ? sum / weight : double.NaN);
        }
    }

    private static byte[] Encode(List<(string Name, double Value)> values, double share)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            writer.Write(share);
            writer.Write(values.Count);
            foreach (var (name, value) in values)
            {
                writer.Write(name);
                writer.Write(value);
            }
        }
        return stream.ToArray();
    }

    private static (double Share, List<(string Name, double Value)> Values) Decode(byte[] bytes)
    {
        using var reader = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        double share = reader.ReadDouble();
        int n = reader.ReadInt32();
        var values = new List<(string, double)>(n);
        for (int i = 0; i < n; i++) values.Add((reader.ReadString(), reader.ReadDouble()));
        return (share, values);
    }
}
