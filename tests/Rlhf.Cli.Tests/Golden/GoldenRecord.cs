using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rlhf.Cli.Tests.Golden;

/// <summary>
/// What a finished tiny run is compared on: every non-timing value of its <c>metrics.jsonl</c>, its summary files
/// (JSON or JSONL, timing fields removed) and a SHA-256 of each final weights file's tensors (names, dtypes, shapes,
/// bytes; the safetensors header's free-form metadata is not part of it). Floats are compared exactly: the engine is
/// bit-deterministic for a given kernel path, so any change of value is a change of behaviour.
/// <para>
/// The expected records live in <c>Golden/&lt;kernel path&gt;/&lt;trainer&gt;.json</c> (see <see cref="KernelPath"/>).
/// They are rewritten only on purpose: run the golden tests with <c>RLHF_REGEN_GOLDEN=1</c> once per kernel path
/// (<c>DOTNET_EnableAVX512=0</c> makes an AVX-512 machine take the AVX2 path; on .NET 10 the older
/// <c>DOTNET_EnableAVX512F=0</c> is silently ignored), review the diff, commit it.
/// </para>
/// </summary>
internal static class GoldenRecord
{
    /// <summary>Set to 1 to rewrite the expected records instead of comparing with them.</summary>
    public const string RegenVariable = "RLHF_REGEN_GOLDEN";

    /// <summary>
    /// The floating-point path this process takes, which names the golden set it is compared with: "avx512" when
    /// Vector512 is hardware accelerated (GEMM's 6×32 kernel, softmax and friends in 512-bit lanes), "avx2" with
    /// AVX2+FMA only (the 6×16 kernel, Vector512 code emulated on two 256-bit halves, which rounds differently),
    /// else "scalar" (no golden set is kept for it).
    /// </summary>
    public static string KernelPath =>
        Vector512.IsHardwareAccelerated && Avx512F.IsSupported ? "avx512"
        : Avx2.IsSupported && Fma.IsSupported ? "avx2"
        : "scalar";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Whether a metric or summary field is a timing (differs run to run and is never compared).</summary>
    public static bool IsTiming(string key) =>
        key.StartsWith("time", StringComparison.Ordinal) || key.EndsWith("_s", StringComparison.Ordinal)
        || key.EndsWith("_per_s", StringComparison.Ordinal) || key.Contains("seconds", StringComparison.Ordinal)
        || key.Contains("elapsed", StringComparison.Ordinal);

    /// <summary>
    /// The record of run directory <paramref name="dir"/>: its metrics, the <paramref name="summaries"/> (paths
    /// relative to it, JSON or JSONL), <paramref name="extra"/> JSON (e.g. what a command printed with --json) and a
    /// hash of each <paramref name="weights"/> file. Paths under <paramref name="root"/> (the test's temporary
    /// directory) are written relative to it, as <c>&lt;root&gt;/…</c>.
    /// </summary>
    public static JsonObject Capture(string root, string dir, string[] summaries, string[] weights, JsonNode? extra = null)
    {
        var record = new JsonObject();
        string metrics = Path.Combine(dir, "metrics.jsonl");
        if (File.Exists(metrics)) record["metrics.jsonl"] = ReadJsonl(metrics);
        foreach (string s in summaries)
        {
            string path = Path.Combine(dir, s);
            if (!File.Exists(path)) throw new FileNotFoundException($"golden: the run wrote no {s}", path);
            record[s] = s.EndsWith(".jsonl", StringComparison.Ordinal) ? ReadJsonl(path) : WithoutTimings(JsonNode.Parse(File.ReadAllText(path)));
        }
        if (extra is not null) record["stdout"] = WithoutTimings(extra);
        var hashes = new JsonObject();
        foreach (string w in weights) hashes[w] = TensorHash(Path.Combine(dir, w));
        record["weights"] = hashes;
        return (JsonObject)RelativePaths(record, root)!;
    }

    /// <summary>
    /// Compares <paramref name="actual"/> with the committed record for <paramref name="name"/> on this kernel path
    /// (or rewrites it under <see cref="RegenVariable"/>); fails with the first differing value.
    /// </summary>
    public static void Check(string name, JsonObject actual, [CallerFilePath] string source = "")
    {
        string file = Path.Combine(KernelPath, name + ".json");
        if (Environment.GetEnvironmentVariable(RegenVariable) == "1")
        {
            string target = Path.Combine(Path.GetDirectoryName(source)!, file);
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.WriteAllText(target, actual.ToJsonString(Indented) + "\n");
            return;
        }
        string expectedPath = Path.Combine(AppContext.BaseDirectory, "Golden", file);
        Assert.True(File.Exists(expectedPath), $"no golden record {file} for the '{KernelPath}' kernel path: generate it with {RegenVariable}=1 (see GoldenRecord)");
        var expected = Flatten(JsonNode.Parse(File.ReadAllText(expectedPath)));
        var got = Flatten(actual);
        int n = Math.Min(expected.Count, got.Count);
        for (int i = 0; i < n; i++)
        {
            if (expected[i] == got[i]) continue;
            Assert.Fail($"golden {file}: first difference at entry {i}\n  expected {expected[i].Path} = {expected[i].Value}\n  actual   {got[i].Path} = {got[i].Value}\n"
                + $"(an intended change: rerun with {RegenVariable}=1 on each kernel path and commit the diff)");
        }
        if (expected.Count != got.Count)
        {
            var (more, what) = expected.Count > got.Count ? (expected[n], "missing") : (got[n], "unexpected");
            Assert.Fail($"golden {file}: {what} entry {more.Path} = {more.Value} ({got.Count} entries, expected {expected.Count})");
        }
    }

    private static JsonArray ReadJsonl(string path) =>
        new(File.ReadLines(path).Where(l => l.Length > 0).Select(l => WithoutTimings(JsonNode.Parse(l))).ToArray());

    private static JsonNode? WithoutTimings(JsonNode? node)
    {
        if (node is JsonObject o)
        {
            foreach (string key in o.Select(kv => kv.Key).Where(IsTiming).ToList()) o.Remove(key);
            foreach (var kv in o.ToList()) WithoutTimings(kv.Value);
        }
        else if (node is JsonArray a)
            foreach (var item in a) WithoutTimings(item);
        return node;
    }

    private static JsonNode? RelativePaths(JsonNode? node, string root)
    {
        switch (node)
        {
            case JsonObject o:
                var copy = new JsonObject();
                foreach (var kv in o) copy[kv.Key] = RelativePaths(kv.Value, root);
                return copy;
            case JsonArray a:
                return new JsonArray(a.Select(item => RelativePaths(item, root)).ToArray());
            case JsonValue v when v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().StartsWith(root, StringComparison.Ordinal):
                return JsonValue.Create("<root>" + v.GetValue<string>()[root.Length..].Replace('\\', '/'));
            default:
                return node?.DeepClone();
        }
    }

    /// <summary>Every leaf as (path, canonical text) in document order; numbers as their exact double ("R").</summary>
    private static List<(string Path, string Value)> Flatten(JsonNode? root)
    {
        var leaves = new List<(string, string)>();
        void Walk(JsonNode? node, string path)
        {
            switch (node)
            {
                case JsonObject o:
                    foreach (var kv in o) Walk(kv.Value, $"{path}.{kv.Key}");
                    if (o.Count == 0) leaves.Add((path, "{}"));
                    break;
                case JsonArray a:
                    for (int i = 0; i < a.Count; i++) Walk(a[i], $"{path}[{i}]");
                    if (a.Count == 0) leaves.Add((path, "[]"));
                    break;
                case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                    leaves.Add((path, v.GetValue<double>().ToString("R", System.Globalization.CultureInfo.InvariantCulture)));
                    break;
                case null:
                    leaves.Add((path, "null"));
                    break;
                default:
                    leaves.Add((path, node.ToJsonString()));
                    break;
            }
        }
        Walk(root, "$");
        return leaves;
    }

    /// <summary>
    /// SHA-256 over a safetensors file's tensors in name order: each name, dtype, shape and data bytes. Parsed here
    /// (8-byte little-endian header length, JSON header, data) so that it does not lean on the engine's own reader.
    /// </summary>
    public static string TensorHash(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"golden: no weights file {path}", path);
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        int dataStart = 8 + (int)headerLength;
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var t in header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").OrderBy(p => p.Name, StringComparer.Ordinal))
        {
            var offsets = t.Value.GetProperty("data_offsets");
            long begin = offsets[0].GetInt64(), end = offsets[1].GetInt64();
            string shape = string.Join(",", t.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()));
            sha.AppendData(Encoding.UTF8.GetBytes($"{t.Name}|{t.Value.GetProperty("dtype").GetString()}|{shape}|"));
            sha.AppendData(bytes, dataStart + (int)begin, (int)(end - begin));
        }
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }
}
