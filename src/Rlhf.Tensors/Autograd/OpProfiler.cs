using System.Diagnostics;

namespace Rlhf.Tensors.Autograd;

/// <summary>
/// Optional per-op timing for finding where a training step spends its time. Off unless enabled (a static flag,
/// or the environment variable <c>RLHF_PROFILE=1</c>). Forward time of an op is measured as the time since the
/// previous recorded op on this thread (so it includes any caller code in between); backward time is the op's
/// backward closure. Not thread-safe across concurrent training loops; meant for one loop at a time.
/// </summary>
public static class OpProfiler
{
    private static readonly Dictionary<string, (double Forward, double Backward, int Calls)> Totals = [];
    [ThreadStatic] private static long t_last;

    /// <summary>Whether ops are being timed.</summary>
    public static bool Enabled { get; set; } = Environment.GetEnvironmentVariable("RLHF_PROFILE") == "1";

    /// <summary>Marks "now" as the start of the next op's forward.</summary>
    public static void Mark() => t_last = Stopwatch.GetTimestamp();

    internal static void RecordForward(string op)
    {
        long now = Stopwatch.GetTimestamp();
        if (t_last != 0) Add(op, Stopwatch.GetElapsedTime(t_last, now).TotalMilliseconds, 0, 1);
        t_last = now;
    }

    internal static void RecordBackward(string op, double ms) => Add(op, 0, ms, 0);

    private static void Add(string op, double f, double b, int calls)
    {
        lock (Totals)
        {
            Totals.TryGetValue(op, out var t);
            Totals[op] = (t.Forward + f, t.Backward + b, t.Calls + calls);
        }
    }

    /// <summary>Totals per op, most expensive first, and clears them.</summary>
    public static string Report()
    {
        lock (Totals)
        {
            var lines = Totals.OrderByDescending(kv => kv.Value.Forward + kv.Value.Backward)
                .Select(kv => $"{kv.Key,-22} calls {kv.Value.Calls,6}  forward {kv.Value.Forward,9:F1} ms  backward {kv.Value.Backward,9:F1} ms");
            string report = string.Join(Environment.NewLine, lines);
            Totals.Clear();
            return report;
        }
    }
}
