using System.Text.Json;

namespace Rlhf.Data.Metrics;

/// <summary>
/// Reads <c>metrics.jsonl</c> as written by <see cref="MetricsWriter"/>: one object per line, an integer
/// <c>"step"</c> plus numeric fields, non-finite values as the strings <c>"NaN"</c>, <c>"Infinity"</c>,
/// <c>"-Infinity"</c>. A final line without its newline that does not parse is a write torn by a crash and is
/// ignored; any other malformed line throws <see cref="DataFormatException"/> (<c>path:line: ...</c>).
/// </summary>
public static class MetricsReader
{
    /// <summary>All entries of <paramref name="path"/>, in file order.</summary>
    public static List<MetricsEntry> Read(string path) => Scan(path).Select(e => e.Entry).ToList();

    /// <summary>The (step, value) series of one metric, skipping entries without it (for plots).</summary>
    public static List<(int Step, double Value)> Series(IEnumerable<MetricsEntry> entries, string name) =>
        entries.Where(e => e.Values.ContainsKey(name)).Select(e => (e.Step, e.Values[name])).ToList();

    /// <summary>Every complete entry with its 1-based line number and raw text (without newline).</summary>
    internal static List<(int Line, string Text, MetricsEntry Entry)> Scan(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string all = File.ReadAllText(path);
        string[] lines = all.Split('\n');
        // After the final '\n' Split yields "" — otherwise the last piece is an unterminated line.
        int complete = lines.Length - 1;
        var result = new List<(int, string, MetricsEntry)>();
        for (int i = 0; i < lines.Length; i++)
        {
            string text = lines[i].TrimEnd('\r');
            if (string.IsNullOrWhiteSpace(text)) continue;
            try { result.Add((i + 1, text, Parse(text, path, i + 1))); }
            catch (DataFormatException) when (i == complete) { } // torn final write: drop it
        }
        return result;
    }

    private static MetricsEntry Parse(string text, string path, int line)
    {
        DataFormatException Fail(string what, Exception? inner = null) => new($"{path}:{line}: {what}", inner);
        JsonDocument doc;
        try { doc = JsonDocument.Parse(text); }
        catch (JsonException e) { throw Fail("expected a JSON object of metrics, found invalid JSON", e); }
        using (doc)
        {
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Fail($"expected a JSON object of metrics, found {Jsonl.Kind(root)}");
            int? step = null;
            var values = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var prop in root.EnumerateObject())
            {
                var v = prop.Value;
                if (prop.Name == "step")
                {
                    if (v.ValueKind != JsonValueKind.Number || !v.TryGetInt32(out int s)) throw Fail($"field 'step' is {Jsonl.Kind(v)}; expected an integer");
                    step = s;
                    continue;
                }
                double d = v.ValueKind switch
                {
                    JsonValueKind.Number => v.GetDouble(),
                    JsonValueKind.String when v.GetString() == "NaN" => double.NaN,
                    JsonValueKind.String when v.GetString() == "Infinity" => double.PositiveInfinity,
                    JsonValueKind.String when v.GetString() == "-Infinity" => double.NegativeInfinity,
                    _ => throw Fail($"field '{prop.Name}' is {Jsonl.Kind(v)}; expected a number or \"NaN\"/\"Infinity\"/\"-Infinity\""),
                };
                if (!values.TryAdd(prop.Name, d)) throw Fail($"field '{prop.Name}' appears twice");
            }
            return new MetricsEntry(step ?? throw Fail("missing required field 'step' (an integer)"), values);
        }
    }
}
