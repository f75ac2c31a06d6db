using System.Text.Json.Serialization;

namespace Rlhf.Cli.Commands;

/// <summary>One line of <c>rlhf bon</c>'s best.jsonl: a prompt's selected response.</summary>
/// <param name="Prompt">The prompt.</param>
/// <param name="Response">The proxy's best of the N responses.</param>
/// <param name="ProxyReward">Its proxy (reward model / ensemble mean) reward.</param>
/// <param name="GoldReward">Its gold reward (null without --gold).</param>
/// <param name="EnsembleStd">Ensemble disagreement on it (null for a single reward model).</param>
/// <param name="Index">Which of the N samples won (0-based).</param>
/// <param name="N">Samples drawn.</param>
/// <param name="MeanProxy">Mean proxy reward of all N samples (the best-of-1 expectation).</param>
/// <param name="MeanGold">Mean gold reward of all N samples (null without --gold).</param>
public sealed record BonRecord(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("response")] string Response,
    [property: JsonPropertyName("proxy_reward")] double ProxyReward,
    [property: JsonPropertyName("gold_reward")] double? GoldReward,
    [property: JsonPropertyName("ensemble_std")] double? EnsembleStd,
    [property: JsonPropertyName("index")] int Index,
    [property: JsonPropertyName("n")] int N,
    [property: JsonPropertyName("mean_proxy")] double MeanProxy,
    [property: JsonPropertyName("mean_gold")] double? MeanGold);
