using System.Text.Json.Serialization;

namespace Rlhf.Cli.Demo.Report;

/// <summary>
/// <c>ppo/guard.json</c> (<c>rlhf guard replay --json</c>): where the reward-hacking guard would have stopped the PPO run
/// (null: never), the iteration it would keep and the gold reward there, and the gold peak and final gold of the run.
/// </summary>
public sealed record DemoGuard(
    [property: JsonPropertyName("iterations")] int Iterations,
    [property: JsonPropertyName("stop_iteration")] int? StopIteration,
    [property: JsonPropertyName("stop_reason")] string? StopReason,
    [property: JsonPropertyName("kept_iteration")] int? KeptIteration,
    [property: JsonPropertyName("kept_gold")] double? KeptGold,
    [property: JsonPropertyName("stop_gold")] double? StopGold,
    [property: JsonPropertyName("gold_peak_iteration")] int? GoldPeakIteration,
    [property: JsonPropertyName("gold_peak")] double? GoldPeak,
    [property: JsonPropertyName("gold_final")] double? GoldFinal);
