using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rlhf.Feedback.Rounds;
using Rlhf.Feedback.Web;
using Rlhf.Training.Common;
using Rlhf.Training.Labeling;
using Spectre.Console;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf label</c>: <c>simulate</c> (synthetic preference labels from a panel of simulated labelers,
/// <see cref="LabelingRun"/>) and the human-labeling verbs of <see cref="LabelAppCommands"/> (enqueue, serve, export, ...).
/// </summary>
public static class LabelCommand
{
    private static readonly JsonSerializerOptions JsonOptions = new() { Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) } };

    /// <summary>Builds the <c>label</c> command with its verbs.</summary>
    public static Command Create()
    {
        var label = new Command("label", "Preference labeling: people rank completions in the browser (enqueue, serve, export), or simulated labelers do (simulate).");
        label.Add(CreateSimulate());
        foreach (var verb in LabelAppCommands.Create()) label.Add(verb);
        return label;
    }

    private static Command CreateSimulate()
    {
        var input = new Option<string?>("--input") { Description = "JSONL of {\"prompt\", \"completions\": [...]} with K >= 2 non-empty completions per line (required without --server)." };
        var output = new Option<string?>("--out") { Description = "Ranked preference JSONL to write {\"prompt\", \"completions\", \"ranking\"} (pairwise with --length-matched; required without --server)." };
        var server = new Option<string?>("--server") { Description = "Instead of a file: act as one person at a running label app (http(s) URL), labeling what GET /api/next hands out until it has nothing left." };
        var token = new Option<string?>("--token") { Description = "--server: the labeler token to sign in with ('rlhf label add-labeler')." };
        var behaviour = new Option<string>("--behaviour") { Description = "--server: 'careful' ranks by --gold, 'random' in a random order.", DefaultValueFactory = _ => SimulatedPerson.Careful }
            .AcceptOnlyFromAmong(SimulatedPerson.Careful, SimulatedPerson.Random);
        var idle = TrainingOptions.DurationOption("--idle-exit", "--server: stop after this long without a task (default 10s).");
        var labelers = new Option<int>("--labelers") { Description = "Simulated labelers; records rotate through them (labeler i has seed --seed + i).", DefaultValueFactory = _ => 3 }
            .Require(v => v >= 1, "--labelers must be at least 1.");
        var temperature = new Option<double>("--temperature") { Description = "Labeler noise on the gold score; 0 = sort by gold exactly.", DefaultValueFactory = _ => 0.1 }
            .Require(v => v >= 0 && double.IsFinite(v), "--temperature must be finite and >= 0.");
        var lengthBias = new Option<double>("--length-bias") { Description = "Gold-score bonus per 100 characters the labelers add (the human bias towards longer answers).", DefaultValueFactory = _ => 0 }
            .Require(double.IsFinite, "--length-bias must be finite.");
        var model = new Option<string>("--model") { Description = "Choice model: plackett-luce (sequential softmax) or bradley-terry (pairwise, ranked by wins).", DefaultValueFactory = _ => SimulatedLabelerConfig.PlackettLuce };
        model.AcceptOnlyFromAmong(SimulatedLabelerConfig.PlackettLuce, SimulatedLabelerConfig.BradleyTerry);
        var gold = new Option<string>("--gold")
        {
            Description = "Gold scorer the labelers rank by: 'lexicon' (built-in sentiment lexicon) or 'rm:<dir>' (a reward model checkpoint as gold RM).",
            DefaultValueFactory = _ => LabelingRun.LexiconGold,
        };
        gold.Require(CommandSupport.IsGoldName, CommandSupport.GoldNameMessage);
        var seed = new Option<ulong>("--seed") { Description = "Seed of the first labeler (same seed and input: same labels).", DefaultValueFactory = _ => 1 };
        var lengthMatched = new Option<double?>("--length-matched")
        {
            Description = "Write pairwise records instead, keeping only pairs whose longer response is at most this many times the shorter (>= 1); each pair then weighs 1.",
        }.Require(v => v is null or >= 1, "--length-matched must be >= 1.");
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of a table." };
        var simulate = new Command("simulate", "Rank each record's completions with simulated labelers, write the rankings atomically, and report inter-labeler agreement, the ceiling vs gold and the length bias.")
        {
            input, output, labelers, temperature, lengthBias, model, gold, seed, lengthMatched, json, server, token, behaviour, idle,
        };
        simulate.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            if (parse.GetValue(server) is { } url)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
                    throw new TrainingException($"--server: '{url}' is not an http(s) address");
                string t = parse.GetValue(token) ?? throw new TrainingException("--server needs --token: the labeler token to sign in with");
                var goldScorer = CommandSupport.CreateGold(parse.GetValue(gold)!);
                using var disposeGold = goldScorer as IDisposable;
                using var client = new LabelerClient(uri, t);
                var person = new SimulatedPerson("sim", client, parse.GetValue(behaviour)!, goldScorer.Score, parse.GetValue(seed));
                int given = person.Run(TimeSpan.FromMilliseconds(500), parse.GetValue(idle) ?? TimeSpan.FromSeconds(10));
                stdout.WriteLine($"label simulate: {given} labels submitted to {uri} ({person.Behaviour})");
                return 0;
            }
            string path = CommandSupport.ExistingFile(parse.GetValue(input) ?? throw new TrainingException("--input is required (or --server)"));
            string outPath = parse.GetValue(output) ?? throw new TrainingException("--out is required (or --server)");
            var options = new LabelingOptions(
                new SimulatedLabelerConfig(parse.GetValue(temperature), parse.GetValue(lengthBias), parse.GetValue(model)!),
                parse.GetValue(labelers), parse.GetValue(gold)!, parse.GetValue(seed), LengthMatchedRatio: parse.GetValue(lengthMatched));
            var s = LabelingRun.Run(path, outPath, options);
            if (parse.GetValue(json))
            {
                stdout.WriteLine(JsonSerializer.Serialize(s, JsonOptions));
                return 0;
            }
            var table = new Table().Title(Markup.Escape($"{outPath} ({s.Format.ToString().ToLowerInvariant()})")).AddColumns("Statistic", "Value");
            table.AddRow("records / labelers", $"{s.Records} / {s.Labelers}");
            table.AddRow("pairs written", s.Pairs.ToString(CultureInfo.InvariantCulture));
            if (s.LengthMatchedKept is { } kept)
                table.AddRow("length-matched kept / dropped / identical", $"{kept} / {s.LengthMatchedDropped} / {s.IdenticalDropped}");
            table.AddRow($"inter-labeler agreement ({s.AgreementSample} records)", P(s.InterLabelerAgreement));
            table.AddRow("ceiling vs gold", P(s.GoldCeiling));
            table.AddRow("gold's agreement with these labels (ties ½)", P(s.LabelCeilingGold));
            table.AddRow("biased utility's agreement with these labels", P(s.LabelCeilingUtility));
            table.AddRow("labels vs gold", P(s.LabelsGoldAgreement));
            table.AddRow("chosen / rejected chars mean", $"{F(s.ChosenCharsMean)} / {F(s.RejectedCharsMean)}");
            table.AddRow("chosen longer (length bias)", $"{F(100 * s.ChosenLongerFraction)}% of pairs");
            AnsiConsole.Create(new AnsiConsoleSettings
            {
                Out = new AnsiConsoleOutput(stdout),
                Ansi = stdout == Console.Out && !Console.IsOutputRedirected ? AnsiSupport.Detect : AnsiSupport.No,
            }).Write(table);
            return 0;
        }));
        return simulate;
    }

    private static string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);

    private static string P(double? v) => v is { } x ? $"{F(100 * x)}%" : "n/a";
}
