using System.Text.Json.Serialization;

namespace Rlhf.Training.BestOfN;

/// <summary>
/// Best-of-n at one n: analytic KL (nats) and d = √KL, and the expected proxy and gold reward of the proxy's pick
/// averaged over prompts (gold null without a gold scorer).
/// </summary>
public sealed record BestOfNPoint(
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("kl")] double Kl,
    [property: JsonPropertyName("sqrt_kl")] double SqrtKl,
    [property: JsonPropertyName("proxy")] double Proxy,
    [property: JsonPropertyName("gold")] double? Gold);
