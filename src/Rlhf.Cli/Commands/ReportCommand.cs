using System.CommandLine;
using System.Text.Json;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.BestOfN;
using Rlhf.Training.Reporting;
using Spectre.Console;
using Rlhf.Data.Metrics;
using Rlhf.Cli.Demo.Report;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf report overopt</c>: Gao et al.'s over-optimisation figure for finished runs — proxy and gold reward against
/// √KL for RL runs (their metrics.jsonl) and best-of-n (<c>rlhf bon --curve</c>'s curve.json) — as overopt.svg,
/// overopt.json and a Markdown table on stdout; <c>rlhf report demo</c>: report.html and the summary table of an
/// <c>rlhf demo</c> directory.
/// </summary>
public static class ReportCommand
{
    private static readonly JsonSerializerOptions ReadOptions = new() { PropertyNameCaseInsensitive = true };
    private static readonly JsonSerializerOptions WriteOptions = new() { WriteIndented = true };

    /// <summary>Builds <c>report</c> with its <c>overopt</c> and <c>demo</c> verbs.</summary>
    public static Command Create()
    {
        var report = new Command("report", "Figures from finished runs.");
        var runs = new Option<string[]>("--run") { Description = "An RL run as label=directory (or just the directory); repeatable.", Required = true, AllowMultipleArgumentsPerToken = false };
        var bon = new Option<string?>("--bon") { Description = "curve.json of `rlhf bon --curve` (same reward model and gold) to draw on the same axes." };
        var window = new Option<int>("--window") { Description = "Centred moving-average window over iterations.", DefaultValueFactory = _ => 5 }
            .Require(v => v >= 1, "--window must be at least 1.");
        var every = new Option<int>("--every") { Description = "Table rows: every N-th iteration (plus the gold peak and the last).", DefaultValueFactory = _ => 5 }
            .Require(v => v >= 1, "--every must be at least 1.");
        var outDir = new Option<string>("--out") { Description = "Output directory for overopt.svg and overopt.json.", Required = true };
        var overopt = new Command("overopt", "Proxy and gold reward vs √KL for RL runs and best-of-n (Gao et al. 2022), with R_RL(d) = d(α − β ln d) fits.")
        {
            runs, bon, window, every, outDir,
        };
        overopt.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            var curves = new List<OveroptimizationCurve>();
            foreach (string spec in parse.GetValue(runs)!)
            {
                int eq = spec.IndexOf('=');
                string label = eq > 0 ? spec[..eq] : Path.GetFileName(Path.TrimEndingDirectorySeparator(spec));
                string dir = eq > 0 ? spec[(eq + 1)..] : spec;
                string metrics = File.Exists(dir) ? dir : Path.Combine(dir, "metrics.jsonl");
                curves.Add(OveroptimizationCurve.FromMetrics(label, MetricsReader.Read(CommandSupport.ExistingFile(metrics)), parse.GetValue(window)));
            }
            BestOfNCurveResult? curve = null;
            if (parse.GetValue(bon) is { } bonPath)
            {
                string path = CommandSupport.ExistingFile(bonPath);
                try { curve = JsonSerializer.Deserialize<BestOfNCurveResult>(File.ReadAllText(path), ReadOptions); }
                catch (JsonException e) { throw new InvalidDataException($"{path}: not a best-of-n curve.json ({e.Message})", e); }
                if (curve?.Points is null) throw new InvalidDataException($"{path}: not a best-of-n curve.json (no points)");
            }
            string dirOut = parse.GetValue(outDir)!;
            Directory.CreateDirectory(dirOut);
            OveroptimizationReport.Plot(curves, curve).Save(Path.Combine(dirOut, "overopt.svg"), 760, 460);
            AtomicFile.WriteAllText(Path.Combine(dirOut, "overopt.json"), JsonSerializer.Serialize(new { runs = curves, best_of_n = curve }, WriteOptions));
            output.Write(OveroptimizationReport.Table(curves, curve, parse.GetValue(every)));
            output.WriteLine($"wrote {Path.Combine(dirOut, "overopt.svg")} and overopt.json");
            return 0;
        }));
        report.Add(overopt);
        report.Add(CreateDemo());
        return report;
    }

    /// <summary><c>report demo --dir D</c>: (re)writes D/report.html from the demo directory's files and prints the summary table.</summary>
    private static Command CreateDemo()
    {
        var dir = new Option<string>("--dir") { Description = "The demo directory (the --out of `rlhf demo`, holding demo.json).", Required = true };
        var demo = new Command("demo", "Write report.html of an `rlhf demo` directory (self-contained HTML: every stage's story, curves and samples) and print its summary table.")
        {
            dir,
        };
        demo.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            string path = parse.GetValue(dir)!;
            if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: no such directory (expected the --out directory of `rlhf demo`)");
            WriteDemo(path, output);
            return 0;
        }));
        return demo;
    }

    /// <summary>Writes <c>report.html</c> of demo directory <paramref name="dir"/> and prints its summary table and any unreadable stage; returns the report's path.</summary>
    internal static string WriteDemo(string dir, TextWriter output)
    {
        var summary = DemoSummary.Load(dir);
        string written = DemoReport.Write(summary);
        bool terminal = output == Console.Out && !Console.IsOutputRedirected;
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = terminal ? AnsiSupport.Detect : AnsiSupport.No });
        if (!terminal) console.Profile.Width = 120; // a file or a test: no terminal width to fit
        console.Write(summary.ToTable());
        foreach (var (stage, problem) in summary.Problems) output.WriteLine($"warning: stage {stage}: {problem}");
        output.WriteLine($"wrote {written}");
        return written;
    }
}
