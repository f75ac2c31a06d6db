using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Rlhf.Feedback.Exchange;
using Rlhf.Feedback.Storage;
using Rlhf.Feedback.Web;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Generation;
using Rlhf.Tensors;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Labeling;
using Spectre.Console;
using Rlhf.Data;
using Rlhf.Data.Preferences;

namespace Rlhf.Cli.Commands;

/// <summary>
/// The human-labeling verbs of <c>rlhf label</c> over a SQLite label database (<see cref="FeedbackStore"/>):
/// <c>add-labeler</c>, <c>enqueue</c>, <c>serve</c> (the web app), <c>status</c>, <c>export</c> and <c>import</c>.
/// </summary>
internal static class LabelAppCommands
{
    /// <summary>The verbs, to add under <c>label</c>.</summary>
    public static IEnumerable<Command> Create() => [AddLabeler(), Enqueue(), Serve(), Status(), Export(), Import()];

    private static Option<string> Db() => new("--db") { Description = "Label database (SQLite; created with its schema on first use).", Required = true };

    private static Command AddLabeler()
    {
        var db = Db();
        var name = new Option<string>("--name") { Description = "The labeler's name (unique).", Required = true };
        var admin = new Option<bool>("--admin") { Description = "May also see the overview page and export." };
        var url = new Option<string>("--url") { Description = "Base address of the served page, for the printed link.", DefaultValueFactory = _ => "http://127.0.0.1:5000/" };
        var command = new Command("add-labeler", "Create a labeler and print their token (shown once; only its hash is stored) and a link that signs them in.")
        {
            db, name, admin, url,
        };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            var store = FeedbackStore.Open(parse.GetValue(db)!);
            var (labeler, token) = store.AddLabeler(parse.GetValue(name)!, parse.GetValue(admin));
            stdout.WriteLine($"labeler: {labeler.Name}{(labeler.IsAdmin ? " (admin)" : "")}");
            stdout.WriteLine($"token:   {token}");
            stdout.WriteLine($"link:    {parse.GetValue(url)!.TrimEnd('/')}/#token={token}");
            return 0;
        }));
        return command;
    }

    private static Command Enqueue()
    {
        var db = Db();
        var completions = new Option<string?>("--completions") { Description = "JSONL of ready-made {\"prompt\", \"completions\": [...]} (K >= 2 each)." };
        var model = new Option<string?>("--model") { Description = "Policy to sample K completions per prompt from (model or training run directory); needs --prompts." };
        var prompts = new Option<string?>("--prompts") { Description = "JSONL of {\"prompt\": ...} lines to sample for (with --model)." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer directory (default: the model directory)." };
        var k = new Option<int>("--k") { Description = "Completions sampled per prompt (identical samples are kept once).", DefaultValueFactory = _ => 4 }
            .Require(v => v is >= 2 and <= 9, "--k must be between 2 and 9 (the page ranks by number keys 1-9).");
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens per completion at most.", DefaultValueFactory = _ => 64 }.Require(v => v >= 1, "--max-new-tokens must be at least 1.");
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (> 0: the K samples must differ).", DefaultValueFactory = _ => 1f }
            .Require(v => v > 0 && float.IsFinite(v), "--temperature must be > 0.");
        var topK = new Option<int>("--top-k") { Description = "Sample among the k most likely tokens (0 = all).", DefaultValueFactory = _ => 0 }.Require(v => v >= 0, "--top-k must be >= 0.");
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling mass (1 = all).", DefaultValueFactory = _ => 1f }.Require(v => v > 0 && v <= 1, "--top-p must be in (0, 1].");
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed.", DefaultValueFactory = _ => 1 };
        var command = new Command("enqueue", "Add labeling tasks: K sampled completions per prompt (--model + --prompts) or ready-made groups (--completions). "
            + "A group already in the database is skipped.")
        {
            db, completions, model, prompts, tokenizer, k, maxNew, temperature, topK, topP, seed,
        };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            string? file = parse.GetValue(completions), modelDir = parse.GetValue(model);
            if ((file is null) == (modelDir is null)) throw new TrainingException("give either --completions <file.jsonl> or --model <dir> with --prompts <file.jsonl>");
            List<CompletionGroup> groups;
            string source;
            if (file is not null) (groups, source) = ([.. CompletionGroup.Load(CommandSupport.ExistingFile(file))], "file:" + Path.GetFileName(file));
            else
            {
                string promptFile = parse.GetValue(prompts) ?? throw new TrainingException("--model needs --prompts <file.jsonl> with {\"prompt\": ...} lines");
                var texts = Jsonl.Read<PromptRecord>(CommandSupport.ExistingFile(promptFile)).Select(r => r.Record.Prompt).ToList();
                string dir = TrainingCheckpoint.ResolveModelDirectory(modelDir!);
                var gpt = HfCheckpoint.Load(dir);
                var tok = CommandSupport.LoadTokenizer(parse.GetValue(tokenizer) ?? dir);
                var config = new GenerationConfig(parse.GetValue(maxNew), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(topP));
                var (sampled, dropped) = CompletionSampler.Sample(gpt, tok, texts, parse.GetValue(k), config, new Rng(parse.GetValue(seed)));
                foreach (string p in dropped) stdout.WriteLine($"skipped prompt \"{(p.Length <= 40 ? p : p[..40] + "…")}\": fewer than 2 distinct completions");
                (groups, source) = (sampled, "model:" + Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(dir))));
            }
            if (groups.Any(g => g.Completions.Count > 9))
                throw new TrainingException("a group has more than 9 completions; the page ranks by number keys 1-9");
            var store = FeedbackStore.Open(parse.GetValue(db)!);
            var (added, skipped) = store.Enqueue(groups, source);
            stdout.WriteLine($"added {added} tasks ({skipped} already there); {store.TaskCount()} tasks in {store.Path}");
            return 0;
        }));
        return command;
    }

    private static Command Serve()
    {
        var db = Db();
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port).", DefaultValueFactory = _ => 5000 }.Require(v => v is >= 0 and <= 65535, "--port must be 0..65535.");
        var host = new Option<string>("--host") { Description = "Address to listen on; anything but loopback exposes the page (plain HTTP) to the network.", DefaultValueFactory = _ => "127.0.0.1" };
        var perTask = new Option<int>("--labels-per-task") { Description = "Labels wanted per task; >= 2 shows tasks to several labelers and measures agreement.", DefaultValueFactory = _ => 1 }
            .Require(v => v >= 1, "--labels-per-task must be at least 1.");
        var maxBody = new Option<int>("--max-body-kb") { Description = "Largest request body accepted, in KiB.", DefaultValueFactory = _ => 64 }.Require(v => v >= 1, "--max-body-kb must be at least 1.");
        var command = new Command("serve", "Serve the labeling page: labelers order K completions best to worst (drag and drop or number keys), mark ties, "
            + "all-bad or unsafe, and submit; /overview shows progress, agreement and export. Stops on Ctrl+C.")
        {
            db, port, host, perTask, maxBody,
        };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, stderr) =>
        {
            string hostText = parse.GetValue(host)!;
            var address = hostText == "localhost" ? IPAddress.Loopback
                : IPAddress.TryParse(hostText, out var ip) ? ip : throw new TrainingException($"--host '{hostText}' is not an IP address (e.g. 127.0.0.1 or 0.0.0.0)");
            var store = FeedbackStore.Open(parse.GetValue(db)!);
            var options = new FeedbackServerOptions
            {
                Address = address, Port = parse.GetValue(port), LabelsPerTask = parse.GetValue(perTask),
                MaxRequestBodyBytes = parse.GetValue(maxBody) * 1024L, ErrorLog = stderr,
            };
            using var stop = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
            Console.CancelKeyPress += onCancel;
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
            try
            {
                var server = FeedbackServer.StartAsync(store, options).GetAwaiter().GetResult();
                if (!IPAddress.IsLoopback(address)) stderr.WriteLine($"warning: listening on {address}: the page and its tokens travel unencrypted on the network");
                stdout.WriteLine($"serving {store.Path} ({store.TaskCount()} tasks) at {server.Address}  (Ctrl+C stops)");
                stdout.WriteLine($"overview: {server.Address}overview   labelers sign in with the link from 'rlhf label add-labeler'");
                stdout.Flush();
                server.WaitAsync(stop.Token).GetAwaiter().GetResult();
                server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
            finally { Console.CancelKeyPress -= onCancel; }
            return 0;
        }));
        return command;
    }

    private static Command Status()
    {
        var db = Db();
        var perTask = new Option<int>("--labels-per-task") { Description = "Labels wanted per task (as given to serve).", DefaultValueFactory = _ => 1 }.Require(v => v >= 1, "--labels-per-task must be at least 1.");
        var command = new Command("status", "Print the overview: tasks done and remaining, labels per labeler, inter-labeler agreement.") { db, perTask };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            var store = FeedbackStore.Open(CommandSupport.ExistingFile(parse.GetValue(db)!));
            var o = store.Overview(parse.GetValue(perTask));
            var table = new Table().Title(Markup.Escape(store.Path)).AddColumns("Statistic", "Value");
            table.AddRow("tasks / complete / remaining", $"{o.Tasks} / {o.TasksComplete} / {o.TasksRemaining}");
            table.AddRow("labels (all bad / unsafe)", $"{o.Labels} ({o.AllBad} / {o.Unsafe})");
            foreach (var l in o.Labelers) table.AddRow(Markup.Escape($"  {l.Name}"), $"{l.Labels} labels{(l.MedianSeconds is { } s ? $", median {s.ToString("0.0", CultureInfo.InvariantCulture)} s" : "")}");
            table.AddRow($"agreement ({o.AgreementTasks} tasks with >= 2 labels)",
                o.MeanAgreement is { } a ? $"{(100 * a).ToString("0.0", CultureInfo.InvariantCulture)}% of pairs" : "n/a");
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout), Ansi = AnsiSupport.No }).Write(table);
            return 0;
        }));
        return command;
    }

    private static Command Export()
    {
        var db = Db();
        var output = new Option<string>("--out") { Description = "JSONL to write (atomically): ranked {\"prompt\", \"completions\", \"ranking\", \"ties\"?}, one record per label.", Required = true };
        var pairwise = new Option<bool>("--pairwise") { Description = "Write pairwise {\"prompt\", \"chosen\", \"rejected\"} records instead: every comparison a ranking implies." };
        var exclude = new Option<bool>("--exclude-flagged") { Description = "Leave out labels marked all-bad or unsafe." };
        var command = new Command("export", "Write the labels as preference data for 'rlhf rm train'.") { db, output, pairwise, exclude };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            string path = CommandSupport.ExistingFile(parse.GetValue(db)!);
            var store = FeedbackStore.Open(path);
            int n = FeedbackExport.Write(store, parse.GetValue(output)!, parse.GetValue(pairwise) ? PreferenceFormat.Pairwise : PreferenceFormat.Ranked, parse.GetValue(exclude));
            stdout.WriteLine($"wrote {n} {(parse.GetValue(pairwise) ? "pairwise" : "ranked")} records to {parse.GetValue(output)}");
            return 0;
        }));
        return command;
    }

    private static Command Import()
    {
        var db = Db();
        var input = new Option<string>("--in") { Description = "Preference JSONL (ranked or pairwise, as 'rm train' reads) made elsewhere.", Required = true };
        var labeler = new Option<string>("--labeler") { Description = "Name the labels are stored under (created if new).", Required = true };
        var command = new Command("import", "Store rankings made elsewhere as labels (tasks are matched by prompt and completions, or added). "
            + "A bad line fails the whole import, naming file:line; importing a file twice adds nothing.") { db, input, labeler };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            string file = CommandSupport.ExistingFile(parse.GetValue(input)!);
            var store = FeedbackStore.Open(parse.GetValue(db)!);
            var (imported, existing, skipped) = FeedbackImport.Run(store, file, parse.GetValue(labeler)!);
            stdout.WriteLine($"imported {imported} labels ({existing} already there, {skipped} skipped: that labeler had labeled the task already)");
            return 0;
        }));
        return command;
    }
}
