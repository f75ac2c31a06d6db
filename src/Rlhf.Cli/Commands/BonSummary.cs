using System.Text.Json.Serialization;

namespace Rlhf.Cli.Commands;

/// <summary>What <c>rlhf bon --json</c> prints (and writes to summary.json).</summary>
/// <param name="Prompts">Prompts answered.</param>
/// <param name="N">Samples per prompt.</param>
/// <param name="KlBon">Analytic KL of best-of-N, log N − (N − 1)/N nats (an upper bound, arXiv 2401.01879).</param>
/// <param name="ProxyBest">Mean proxy reward of the selected responses.</param>
/// <param name="ProxyAll">Mean proxy reward of all samples (best-of-1).</param>
/// <param name="GoldBest">Mean gold reward of the selected responses (null without --gold).</param>
/// <param name="GoldAll">Mean gold reward of all samples (null without --gold).</param>
/// <param name="Output">The best.jsonl written.</param>
/// <param name="Sft">The SFT file written (null without --write-sft).</param>
/// <param name="SftWritten">SFT examples written.</param>
/// <param name="SftSkipped">Winners skipped for an empty response.</param>
/// <param name="Curve">The curve.json written (null without --curve).</param>
public sealed record BonSummary(
    [property: JsonPropertyName("prompts")] int Prompts,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("kl_bon")] double KlBon,
    [property: JsonPropertyName("proxy_best")] double ProxyBest,
    [property: JsonPropertyName("proxy_all")] double ProxyAll,
    [property: JsonPropertyName("gold_best")] double? GoldBest,
    [property: JsonPropertyName("gold_all")] double? GoldAll,
    [property: JsonPropertyName("output")] string Output,
    [property: JsonPropertyName("sft")] string? Sft,
    [property: JsonPropertyName("sft_written")] int SftWritten,
    [property: JsonPropertyName("sft_skipped")] int SftSkipped,
    [property: JsonPropertyName("curve")] string? Curve,
    [property: JsonPropertyName("truncated_frac")] double TruncatedFrac = double.NaN);
