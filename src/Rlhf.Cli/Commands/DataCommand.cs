using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rlhf.Training.Preferences;
using Spectre.Console;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf data stats</c>: check a preference JSONL file and summarise it (<see cref="PreferenceStats"/>).</summary>
public static class DataCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) } };

    /// <summary>Builds the <c>data</c> command with its <c>stats</c> verb.</summary>
    public static Command Create()
    {
        var data = new Command("data", "Preference data sets (pairwise or ranked JSONL).");
        data.Add(CreateStats());
        return data;
    }

    private static Command CreateStats()
    {
        var file = new Option<string>("--data") { Description = "Preference JSONL file: pairwise {prompt, chosen, rejected} or ranked {prompt, completions, ranking, ties}.", Required = true };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var stats = new Command("stats", "Validate a preference file (errors name file:line) and print counts, K distribution, pairs, ties and the length bias of chosen vs rejected.")
        {
            file, json,
        };
        stats.SetAction(parse => CommandSupport.Guard(parse, (stdout, _) =>
        {
            string path = CommandSupport.ExistingFile(parse.GetValue(file)!);
            var s = PreferenceStats.Compute(PreferenceData.Load(path));
            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(s, JsonOptions));
                return 0;
            }
            var table = new Table().Title($"{path} ({s.Format.ToString().ToLowerInvariant()})").AddColumns("Statistic", "Value");
            table.AddRow("records", s.Records.ToString(CultureInfo.InvariantCulture));
            table.AddRow("distinct prompts", s.Prompts.ToString(CultureInfo.InvariantCulture));
            table.AddRow("exact duplicates", s.Duplicates.ToString(CultureInfo.InvariantCulture));
            table.AddRow("K distribution", Markup.Escape(string.Join(", ", s.KDistribution.Select(kv => $"K={kv.Key}: {kv.Value}"))));
            table.AddRow("pairs", s.Pairs.ToString(CultureInfo.InvariantCulture));
            table.AddRow("tie groups / tied pairs", $"{s.TieGroups} / {s.TiedPairs}");
            table.AddRow("chosen chars mean / median", $"{F(s.ChosenCharsMean)} / {F(s.ChosenCharsMedian)}");
            table.AddRow("rejected chars mean / median", $"{F(s.RejectedCharsMean)} / {F(s.RejectedCharsMedian)}");
            table.AddRow("chosen longer (length bias)", $"{F(100 * s.ChosenLongerFraction)}% of pairs");
            AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(stdout),
                Ansi = stdout == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            }).Write(table);
            return 0;
        }));
        return stats;
    }

    private static string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
}
