using Rlhf.Tensors.Autograd;

namespace Rlhf.Tensors;

/// <summary>
/// Process memory figures for memory reports (<c>rlhf bench train --json</c>): resident set (now and peak, from
/// Linux's <c>/proc/self/status</c>), the managed heap and the engine's idle gradient-buffer pool.
/// </summary>
public static class MemoryUsage
{
    /// <summary>Peak resident set size of this process in bytes (VmHWM), or null where /proc is not available.</summary>
    public static long? PeakRssBytes() => ReadStatus("VmHWM:");

    /// <summary>Current resident set size in bytes (VmRSS), or null where /proc is not available.</summary>
    public static long? RssBytes() => ReadStatus("VmRSS:");

    /// <summary>Bytes in idle gradient buffers kept for reuse by the next backward pass.</summary>
    public static long PooledGradientBytes => GradientPool.IdleBytes;

    private static long? ReadStatus(string key)
    {
        const string path = "/proc/self/status";
        if (!File.Exists(path)) return null;
        foreach (var line in File.ReadLines(path))
        {
            if (!line.StartsWith(key, StringComparison.Ordinal)) continue;
            var parts = line[key.Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture) * 1024; // kB
        }
        return null;
    }
}
