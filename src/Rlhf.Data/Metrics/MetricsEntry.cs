namespace Rlhf.Data.Metrics;

/// <summary>One line of <c>metrics.jsonl</c>: the step and its named values (in file order).</summary>
public sealed record MetricsEntry(int Step, IReadOnlyDictionary<string, double> Values)
{
    /// <summary>The value of <paramref name="name"/>, or null when this entry does not have it.</summary>
    public double? Get(string name) => Values.TryGetValue(name, out double v) ? v : null;
}
