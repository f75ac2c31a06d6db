using System.Text.Json;

namespace Rlhf.Cli.Bench;

/// <summary>JSON-lines serialisation shared by the bench verbs (and matched by benchmarks/peer/gemm_torch.py).</summary>
public static class BenchJson
{
    private static readonly JsonSerializerOptions s_options = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>The record as one line of JSON with snake_case names.</summary>
    public static string Line<T>(T record) => JsonSerializer.Serialize(record, s_options);
}
