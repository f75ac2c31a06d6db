using Rlhf.Tensors.Serialization;
using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Rlhf.Data.Metrics;

/// <summary>
/// Appends training metrics to <c>metrics.jsonl</c>, one JSON object per line:
/// <c>{"step":120,"loss":2.3456,"lr":0.0003}</c> (numbers in shortest round-trip form; NaN and ±∞, which JSON cannot
/// hold, as the strings <c>"NaN"</c>, <c>"Infinity"</c>, <c>"-Infinity"</c>). Each line is written with its newline
/// in one write and flushed to the OS, so a killed process loses at most the line being written (a torn last line,
/// which <see cref="MetricsReader"/> ignores); lines are not fsynced, so a power loss can lose recent lines.
/// <para>
/// Resume (<see cref="Resume"/>): the run restarts from a checkpoint taken after step S, and steps after S will be
/// logged again, so entries with step &gt; S (and a torn last line) are removed first; the file is rewritten
/// atomically and then appended to. Entries with step ≤ S are kept byte for byte. Steps must not decrease within a
/// run (several entries per step, e.g. train and eval, are fine). One writer per file; not for concurrent processes.
/// </para>
/// </summary>
public sealed class MetricsWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly ArrayBufferWriter<byte> _buffer = new(256);
    private readonly Utf8JsonWriter _json;
    private readonly Lock _lock = new();
    private int _lastStep;

    private MetricsWriter(string path, FileStream stream, int lastStep, int dropped)
    {
        (Path, _stream, _lastStep, DroppedOnResume) = (path, stream, lastStep, dropped);
        _json = new Utf8JsonWriter(_buffer);
    }

    /// <summary>The file written to.</summary>
    public string Path { get; }

    /// <summary>Entries removed by <see cref="Resume"/> (step &gt; the resumed step, or a torn line).</summary>
    public int DroppedOnResume { get; }

    /// <summary>Starts a new log at <paramref name="path"/>, replacing any existing file (a fresh run).</summary>
    public static MetricsWriter Create(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        return new MetricsWriter(path, Open(path, FileMode.Create), int.MinValue, 0);
    }

    /// <summary>
    /// Continues the log of a run resumed after <paramref name="resumedStep"/>: drops entries with a larger step (they
    /// are about to be redone) and a torn final line, then appends. A missing file starts empty. Throws
    /// <see cref="DataFormatException"/> on a malformed line other than a torn last one.
    /// </summary>
    public static MetricsWriter Resume(string path, int resumedStep)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        int lastStep = int.MinValue, dropped = 0;
        if (File.Exists(path))
        {
            var entries = MetricsReader.Scan(path);
            var kept = entries.Where(e => e.Entry.Step <= resumedStep).ToList();
            int nonEmpty = File.ReadLines(path).Count(l => !string.IsNullOrWhiteSpace(l));
            dropped = nonEmpty - kept.Count;
            if (kept.Count > 0) lastStep = kept.Max(e => e.Entry.Step);
            if (dropped > 0 || !EndsWithNewline(path)) // rewrite also to terminate a complete but unterminated last line
                AtomicFile.Write(path, fs =>
                {
                    foreach (var (_, text, _) in kept)
                    {
                        fs.Write(Encoding.UTF8.GetBytes(text));
                        fs.WriteByte((byte)'\n');
                    }
                });
        }
        return new MetricsWriter(path, Open(path, FileMode.Append), lastStep, dropped);
    }

    /// <summary>Appends <c>{"step": step, name: value, ...}</c> in <paramref name="metrics"/>' order and flushes.</summary>
    public void Write(int step, IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        var items = new (string, double)[metrics.Count];
        int i = 0;
        foreach (var (k, v) in metrics) items[i++] = (k, v);
        Write(step, items);
    }

    /// <summary>Appends <c>{"step": step, name: value, ...}</c> and flushes, e.g. <c>Write(10, ("loss", 2.3), ("lr", 3e-4))</c>.</summary>
    public void Write(int step, params ReadOnlySpan<(string Name, double Value)> metrics)
    {
        for (int i = 0; i < metrics.Length; i++)
        {
            string name = metrics[i].Name;
            if (string.IsNullOrEmpty(name) || name == "step") throw new ArgumentException($"MetricsWriter: metric name '{name}' is empty or reserved", nameof(metrics));
            for (int j = 0; j < i; j++)
                if (metrics[j].Name == name) throw new ArgumentException($"MetricsWriter: metric '{name}' given twice", nameof(metrics));
        }
        lock (_lock)
        {
            if (step < _lastStep) throw new ArgumentException($"MetricsWriter: step {step} is before the last logged step {_lastStep}; steps must not decrease", nameof(step));
            _buffer.ResetWrittenCount();
            _json.Reset();
            _json.WriteStartObject();
            _json.WriteNumber("step", step);
            foreach (var (name, value) in metrics)
            {
                if (double.IsFinite(value)) _json.WriteNumber(name, value);
                else _json.WriteString(name, double.IsNaN(value) ? "NaN" : value > 0 ? "Infinity" : "-Infinity");
            }
            _json.WriteEndObject();
            _json.Flush();
            _buffer.Write("\n"u8);
            _stream.Write(_buffer.WrittenSpan); // one write: the line and its newline land together
            _stream.Flush();
            _lastStep = step;
        }
    }

    /// <summary>Closes the file.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            _json.Dispose();
            _stream.Dispose();
        }
    }

    private static FileStream Open(string path, FileMode mode) =>
        new(path, mode, FileAccess.Write, FileShare.Read, 1, FileOptions.None); // bufferSize 1: no managed buffering

    private static bool EndsWithNewline(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        if (fs.Length == 0) return true;
        fs.Seek(-1, SeekOrigin.End);
        return fs.ReadByte() == '\n';
    }
}
