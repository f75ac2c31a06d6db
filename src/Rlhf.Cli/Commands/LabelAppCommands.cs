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
    public static IEnumerable<Command> Create() => [AddLabeler(), RevokeLabeler(), RotateToken(), Enqueue(), Serve(), Status(), Export(), Import()];

    private static Option<string> Db() => new("--db")
    {
        Description = "Label database: a SQLite file (created with its schema on first use) or a PostgreSQL connection string "
            + "('Host=db;Database=labels;Username=rlhf;Password=…'; the schema is created on first use).",
        Required = true,
    };

    /// <summary>An existing label database: a SQLite file that must exist, or a PostgreSQL connection string as given.</summary>
    private static string ExistingDb(string db) => FeedbackStore.IsServerDatabase(db) ? db : CommandSupport.ExistingFile(db);

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

    private static Command RevokeLabeler()
    {
        var db = Db();
        var name = new Option<string>("--name") { Description = "The labeler to revoke.", Required = true };
        var command = new Command("revoke-labeler", "Revoke a labeler's token at once (every later request is refused; the tasks they held go to others). "
            + "Their labels stay. 'rotate-token' re-admits them with a new token.") { db, name };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            var store = FeedbackStore.Open(ExistingDb(parse.GetValue(db)!));
            int released = store.RevokeLabeler(parse.GetValue(name)!);
            stdout.WriteLine($"revoked {parse.GetValue(name)}; released {released} task lease(s)");
            return 0;
        }));
        return command;
    }

    private static Command RotateToken()
    {
        var db = Db();
        var name = new Option<string>("--name") { Description = "The labeler whose token to replace.", Required = true };
        var url = new Option<string>("--url") { Description = "Base address of the served page, for the printed link.", DefaultValueFactory = _ => "http://127.0.0.1:5000/" };
        var command = new Command("rotate-token", "Give a labeler a new token (the old one stops working at once; lifts a revocation). Prints the token once.") { db, name, url };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            var store = FeedbackStore.Open(ExistingDb(parse.GetValue(db)!));
            string token = store.RotateToken(parse.GetValue(name)!);
            stdout.WriteLine($"token:   {token}");
            stdout.WriteLine($"link:    {parse.GetValue(url)!.TrimEnd('/')}/#token={token}");
            return 0;
        }));
        return command;
    }

    private static Command Enqueue()
    {
        var db = Db();
        var completions = new Option<string?>("--completions") { Description = "JSONL of ready-made {\"prompt\", \"completions\": [...]} (K >= 2 each), optionally with \"messages\" (earlier turns), \"critiques\" (AI-written, one per completion) and \"gold\" (a known order: a hidden check task)." };
        var model = new Option<string?>("--model") { Description = "Policy to sample K completions per prompt from (model or training run directory); needs --prompts." };
        var prompts = new Option<string?>("--prompts") { Description = "JSONL of {\"prompt\": ...} lines to sample for (with --model); a prompt may be a list of messages (the page shows the earlier turns)." };
        var chatTemplate = CommandSupport.ChatTemplateOption();
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
            db, completions, model, prompts, tokenizer, k, maxNew, temperature, topK, topP, seed, chatTemplate,
        };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            string? file = parse.GetValue(completions), modelDir = parse.GetValue(model);
            if ((file is null) == (modelDir is null)) throw new TrainingException("give either --completions <file.jsonl> or --model <dir> with --prompts <file.jsonl>");
            List<LabelTaskInput> groups;
            string source;
            if (file is not null) (groups, source) = ([.. Jsonl.Read<LabelTaskInput>(CommandSupport.ExistingFile(file)).Select(r => r.Record)], "file:" + Path.GetFileName(file));
            else
            {
                string promptFile = parse.GetValue(prompts) ?? throw new TrainingException("--model needs --prompts <file.jsonl> with {\"prompt\": ...} lines");
                var promptList = Rlhf.Data.Prompts.RlPrompt.Load(CommandSupport.ExistingFile(promptFile));
                string dir = TrainingCheckpoint.ResolveModelDirectory(modelDir!);
                var lm = CausalLmCheckpoint.Load(dir);
                var tok = CommandSupport.LoadTokenizer(parse.GetValue(tokenizer) ?? dir);
                var config = new GenerationConfig(parse.GetValue(maxNew), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(topP));
                var (sampled, dropped) = CompletionSampler.SampleTasks(lm, Rlhf.Models.Tokenization.ChatTemplate.For(tok, parse.GetValue(chatTemplate)), promptList, parse.GetValue(k), config, new Rng(parse.GetValue(seed)));
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
        var rate = new Option<int>("--rate-limit") { Description = "Requests per minute per labeler (per IP address without a token); 0 = no limit.", DefaultValueFactory = _ => 600 }
            .Require(v => v >= 0, "--rate-limit must be >= 0.");
        var command = new Command("serve", "Serve the labeling page: labelers order K completions best to worst (drag and drop or number keys), mark ties, "
            + "all-bad or unsafe, and submit; /overview shows progress, agreement and export. Stops on Ctrl+C.")
        {
            db, port, host, perTask, maxBody, rate,
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
                MaxRequestBodyBytes = parse.GetValue(maxBody) * 1024L, RateLimitPerMinute = parse.GetValue(rate), ErrorLog = stderr,
            };
            using var stop = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; stop.Cancel(); };
            Console.CancelKeyPress += onCancel;
            using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx => { ctx.Cancel = true; stop.Cancel(); });
            try
            {
                var server = FeedbackServer.StartAsync(store, options).GetAwaiter().GetResult();
                if (!IPAddress.IsLoopback(address)) stderr.WriteLine($"warning: listening on {address}: plain HTTP; serve it to people only through an HTTPS reverse proxy (docs/labeling.md)");
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
            var store = FeedbackStore.Open(ExistingDb(parse.GetValue(db)!));
            var o = store.Overview(parse.GetValue(perTask));
            var table = new Table().Title(Markup.Escape(store.Path)).AddColumns("Statistic", "Value");
            table.AddRow("tasks / complete / remaining", $"{o.Tasks} / {o.TasksComplete} / {o.TasksRemaining}");
            table.AddRow("labels (all bad / unsafe)", $"{o.Labels} ({o.AllBad} / {o.Unsafe})");
            foreach (var l in o.Labelers)
                table.AddRow(Markup.Escape($"  {l.Name}"), $"{l.Labels} labels{(l.MedianSeconds is { } s ? $", median {s.ToString("0.0", CultureInfo.InvariantCulture)} s" : "")}"
                    + $", majority {Percent(l.MajorityAgreement)}, gold {Percent(l.GoldAgreement)} ({l.GoldLabels}), first card best {Percent(l.FirstShownBest)} (chance {Percent(l.FirstShownChance)}), longer preferred {Percent(l.LongerPreferred)}");
            table.AddRow($"Krippendorff's alpha (pairs, nominal)", o.Alpha is { } alpha ? alpha.ToString("0.000", CultureInfo.InvariantCulture) : "n/a");
            table.AddRow("gold tasks", o.GoldTasks.ToString(CultureInfo.InvariantCulture));
            table.AddRow($"agreement ({o.AgreementTasks} tasks with >= 2 labels)",
                o.MeanAgreement is { } a ? $"{(100 * a).ToString("0.0", CultureInfo.InvariantCulture)}% of pairs" : "n/a");
            AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(stdout), Ansi = AnsiSupport.No }).Write(table);
            return 0;
        }));
        return command;
    }

    private static string Percent(double? v) => v is { } x ? $"{(100 * x).ToString("0", CultureInfo.InvariantCulture)}%" : "n/a";

    private static Command Export()
    {
        var db = Db();
        var output = new Option<string>("--out") { Description = "JSONL to write (atomically): ranked {\"prompt\", \"completions\", \"ranking\", \"ties\"?}, one record per label.", Required = true };
        var pairwise = new Option<bool>("--pairwise") { Description = "Write pairwise {\"prompt\", \"chosen\", \"rejected\"} records instead: every comparison a ranking implies." };
        var exclude = new Option<bool>("--exclude-flagged") { Description = "Leave out labels marked all-bad or unsafe (by default they are kept: all-bad gives no pairs, unsafe completions rank below safe ones)." };
        var minQuality = new Option<double?>("--min-quality") { Description = "Leave out labelers whose quality score (gold agreement, else agreement with the majority) is below this, 0..1." }
            .Require(v => v is null or (>= 0 and <= 1), "--min-quality must be between 0 and 1.");
        var weighted = new Option<bool>("--weighted") { Description = "Write each ranked record's labeler weight, clamp(2·quality − 1, 0, 1) (1 when not judged), as \"weight\": RM and DPO weigh its pairs by it." };
        var command = new Command("export", "Write the labels as preference data for 'rlhf rm train' (gold tasks are checks and never exported).") { db, output, pairwise, exclude, minQuality, weighted };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            var store = FeedbackStore.Open(ExistingDb(parse.GetValue(db)!));
            int n = FeedbackExport.Write(store, parse.GetValue(output)!, new FeedbackExport.Options(parse.GetValue(pairwise) ? PreferenceFormat.Pairwise : PreferenceFormat.Ranked,
                parse.GetValue(exclude), parse.GetValue(minQuality), parse.GetValue(weighted)));
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
