using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Rlhf.Training.Guard;
using Rlhf.Training.Rl;
using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf guard replay</c>: runs the reward-hacking guard over a finished run's <c>metrics.jsonl</c> and says where it
/// would have stopped and which iteration it would have kept. The guard sees only the metrics, and a seeded RL run is
/// deterministic, so a guarded run is exactly the replayed run's prefix: replaying an unguarded long run shows both the
/// over-optimisation after the stop and where the guard would have cropped it (and lets you tune the thresholds on it).
/// </summary>
public static class GuardCommand
{
    /// <summary>Builds <c>guard</c> with its <c>replay</c> verb.</summary>
    public static Command Create()
    {
        var guard = new Command("guard", "The reward-hacking guard of RL runs.");
        var metrics = new Option<string>("--metrics") { Description = "metrics.jsonl of an RL run (rlhf ppo / grpo), or its run directory.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of text." };
        var replay = new Command("replay", "Replay the guard over a run's metrics: where it would stop, the iteration it would keep, and the gold peak when gold was logged.")
        {
            metrics, json,
        };
        var options = GuardOptions.AddTo(replay);
        replay.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            string path = parse.GetValue(metrics)!;
            if (Directory.Exists(path)) path = Path.Combine(path, "metrics.jsonl");
            var guardInstance = options.Config(parse) is { } guardConfig ? new RewardHackingGuard(guardConfig) : throw new ArgumentException("--no-guard leaves nothing to replay");
            var entries = MetricsReader.Read(CommandSupport.ExistingFile(path));
            int? stop = null;
            string? reason = null;
            foreach (var entry in entries)
            {
                if (entry.Step <= 0) continue; // step 0 holds the evaluation before training
                var verdict = guardInstance.Observe(entry.Step, entry.Values);
                if (verdict.Stop) { (stop, reason) = (entry.Step, verdict.Reason); break; }
            }
            var gold = entries.Where(e => e.Step > 0 && e.Get(RlMetricNames.GoldReward) is not null)
                .Select(e => (e.Step, Gold: e.Get(RlMetricNames.GoldReward)!.Value)).ToList();
            (int Step, double Gold)? peak = gold.Count == 0 ? null : gold.MaxBy(g => g.Gold);
            double? goldAt(int? step) => step is null ? null : gold.Where(g => g.Step == step).Select(g => (double?)g.Gold).FirstOrDefault();
            double? keptGold = goldAt(guardInstance.BestIteration >= 0 ? guardInstance.BestIteration : null);
            var summary = new
            {
                metrics = path,
                iterations = entries.Count(e => e.Step > 0),
                stop_iteration = stop,
                stop_reason = reason,
                kept_iteration = guardInstance.BestIteration >= 0 ? guardInstance.BestIteration : (int?)null,
                kept_gold = keptGold,
                stop_gold = goldAt(stop),
                gold_peak_iteration = peak?.Step,
                gold_peak = peak?.Gold,
                gold_final = gold.Count == 0 ? (double?)null : gold[^1].Gold,
            };
            if (parse.GetValue(json))
            {
                output.WriteLine(JsonSerializer.Serialize(summary));
                return 0;
            }
            string F(double? v) => v is null ? "n/a" : v.Value.ToString("F4", CultureInfo.InvariantCulture);
            output.WriteLine(stop is null
                ? $"guard: no stop over {summary.iterations} iterations"
                : $"guard: would stop at iteration {stop}: {reason}");
            output.WriteLine($"guard: keeps iteration {summary.kept_iteration?.ToString(CultureInfo.InvariantCulture) ?? "n/a"} (gold {F(keptGold)})");
            if (peak is not null)
                output.WriteLine($"gold: peak {F(peak.Value.Gold)} at iteration {peak.Value.Step}, {F(goldAt(stop))} at the stop, final {F(summary.gold_final)}");
            return 0;
        }));
        guard.Add(replay);
        return guard;
    }
}
