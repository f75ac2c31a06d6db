using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Spectre.Console;
using Rlhf.Data.Preferences;
using Rlhf.Cli.Demo;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf data stats</c>: check a preference JSONL file and summarise it (<see cref="PreferenceStats"/>).</summary>
public static class DataCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) } };

    /// <summary>Builds the <c>data</c> command with its <c>stats</c> verb.</summary>
    public static Command Create()
    {
        var data = new Command("data", "Data sets: check preference files (stats), write the demo's built-in review data (reviews).");
        data.Add(CreateStats());
        data.Add(CreateReviews());
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
        stats.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
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

    private static Command CreateReviews()
    {
        var outDir = new Option<string>("--out") { Description = "Directory for corpus.txt, sft.jsonl, prompts_label/rl/eval.jsonl and tokenizer.txt.", Required = true };
        Option<int> Count(string name, int value, string what) =>
            new Option<int>(name) { Description = what, DefaultValueFactory = _ => value }.Require(v => v >= 0, $"{name} must be ≥ 0.");
        var documents = Count("--documents", 30_000, "Pretraining documents (one review per line of corpus.txt).");
        var demonstrations = Count("--demonstrations", 3_000, "SFT demonstrations {\"prompt\", \"response\"}.");
        var label = Count("--label-prompts", 1_000, "Prompts to sample and rank for the reward model.");
        var rl = Count("--rl-prompts", 500, "Prompts for RL.");
        var eval = Count("--eval-prompts", 48, "Held-out prompts (best-of-N, evaluation).");
        var seed = new Option<ulong>("--seed") { Description = "Same seed: same files, byte for byte.", DefaultValueFactory = _ => 1 };
        var reviews = new Command("reviews", "Write the built-in data set of `rlhf demo`: procedurally generated short reviews of places, events and things "
            + "with a random mood, so samples differ in sentiment (what the lexicon gold and the simulated labelers rank by). No download.")
        {
            outDir, documents, demonstrations, label, rl, eval, seed,
        };
        reviews.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            var c = ReviewDataset.Write(parse.GetValue(outDir)!, parse.GetValue(seed), parse.GetValue(documents), parse.GetValue(demonstrations),
                parse.GetValue(label), parse.GetValue(rl), parse.GetValue(eval));
            stdout.WriteLine($"data: {c.Documents} documents, {c.Demonstrations} demonstrations, {c.LabelPrompts} labeling / {c.RlPrompts} RL / "
                + $"{c.EvalPrompts} held-out prompts → {parse.GetValue(outDir)}");
            return 0;
        }));
        return reviews;
    }

    private static string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
}
