using System.Text.Json.Serialization;

namespace Rlhf.Training.BestOfN;

/// <summary>
/// A best-of-n curve (what <c>rlhf bon --curve</c> writes to curve.json): the points for n = 1, 2, 4, …, N_max and
/// <see cref="GaoFit"/>s of the reward gains R(n) − R(1) against d = √KL (null when fewer than two n &gt; 1).
/// </summary>
public sealed record BestOfNCurveResult(
    [property: JsonPropertyName("prompts")] int Prompts,
    [property: JsonPropertyName("n_max")] int NMax,
    [property: JsonPropertyName("estimator")] string Estimator,
    [property: JsonPropertyName("points")] IReadOnlyList<BestOfNPoint> Points,
    [property: JsonPropertyName("proxy_fit")] GaoFit? ProxyFit,
    [property: JsonPropertyName("gold_fit")] GaoFit? GoldFit);
