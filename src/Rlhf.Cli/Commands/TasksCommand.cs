using System.CommandLine;
using System.Text;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.Common;
using Rlhf.Training.Tasks;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf tasks generate</c>: arithmetic problems with verified answers (<see cref="ArithmeticTaskGenerator"/>).</summary>
public static class TasksCommand
{
    /// <summary>Builds the <c>tasks</c> command with its <c>generate</c> verb.</summary>
    public static Command Create()
    {
        var tasks = new Command("tasks", "Verifiable tasks for RL with answer checkers (rlhf grpo).");
        tasks.Add(CreateGenerate());
        return tasks;
    }

    private static Command CreateGenerate()
    {
        var kind = new Option<string>("--kind") { Description = "addition, subtraction, multiplication or word (one-sentence word problems).", DefaultValueFactory = _ => "addition" };
        kind.AcceptOnlyFromAmong("addition", "subtraction", "multiplication", "word");
        var digits = new Option<string>("--digits") { Description = "Operand length, a digit count or a range (difficulty), e.g. 3 or 2-3.", DefaultValueFactory = _ => "2-3" };
        var count = new Option<int>("--count") { Description = "Training problems to write to --out.", DefaultValueFactory = _ => 1000 }.Require(v => v >= 1, "--count must be at least 1.");
        var output = new Option<string>("--out") { Description = "Training file.", Required = true };
        var heldOut = new Option<string?>("--heldout") { Description = "Held-out file: problems distinct from every training one." };
        var heldOutCount = new Option<int>("--heldout-count") { Description = "Problems in --heldout.", DefaultValueFactory = _ => 200 }.Require(v => v >= 1, "--heldout-count must be at least 1.");
        var format = new Option<string>("--format")
        {
            Description = "jsonl: {\"prompt\",\"answer\"} for rlhf grpo; sft: {\"prompt\",\"response\"} with a worked answer \"a + b = c. #### c\" for rlhf sft; "
                + "text: one bare equation \"a + b = c\" per line; qa: the question and the equation, \"What is a + b? a + b = c\" per line; chat: the chat template without the final line, \"User: What is a + b?\\nAssistant: a + b = c\", documents separated by a blank line (pretraining corpora); "
                + "digitless: the chat template WITH the final line and every digit removed, a corpus to train a BPE tokenizer on so that no token holds a digit and each digit stays one token.",
            DefaultValueFactory = _ => "jsonl",
        };
        format.AcceptOnlyFromAmong("jsonl", "sft", "text", "qa", "chat", "digitless");
        var worked = new Option<bool>("--worked")
        {
            Description = "Addition only: write the column-by-column solution (\"8+6=14, carry 1: 4. 7+5+1=13, carry 1: 34. …\") instead of the bare equation in the sft, text, qa, chat and digitless formats.",
        };
        var seed = new Option<ulong>("--seed") { Description = "Seed: the same seed and settings give the same files.", DefaultValueFactory = _ => 1 };

        var generate = new Command("generate", "Generate arithmetic problems with answers verified by recomputation, split into distinct training and held-out sets.")
        {
            kind, digits, count, output, heldOut, heldOutCount, format, worked, seed,
        };
        generate.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            var (min, max) = ParseDigits(parse.GetValue(digits)!);
            var k = parse.GetValue(kind) switch
            {
                "subtraction" => ArithmeticKind.Subtraction,
                "multiplication" => ArithmeticKind.Multiplication,
                "word" => ArithmeticKind.WordProblem,
                _ => ArithmeticKind.Addition,
            };
            string? heldOutPath = parse.GetValue(heldOut);
            int n = parse.GetValue(count), h = heldOutPath is null ? 0 : parse.GetValue(heldOutCount);
            List<ArithmeticTask> all;
            try { all = new ArithmeticTaskGenerator(parse.GetValue(seed)).Generate(k, min, max, n + h); }
            catch (ArgumentException e) { throw new TrainingException(e.Message, e); }
            var (train, held) = ArithmeticTaskGenerator.Split(all, h);
            string fmt = parse.GetValue(format)!;
            bool work = parse.GetValue(worked);
            if (work && k != ArithmeticKind.Addition) throw new TrainingException($"--worked: column-by-column solutions are written for --kind addition only, not {parse.GetValue(kind)}");
            if (work && fmt == "jsonl") throw new TrainingException("--worked: the jsonl format holds only the prompt and the answer; use --format sft, chat, qa, text or digitless");
            Write(parse.GetValue(output)!, train, fmt, work);
            if (heldOutPath is not null) Write(heldOutPath, held, fmt, work);
            stdout.WriteLine($"tasks: {train.Count} {parse.GetValue(kind)} problems ({min}-{max} digits) → {parse.GetValue(output)}"
                + (heldOutPath is null ? "" : $", {held.Count} held out → {heldOutPath}") + $" ({fmt}{(work ? ", worked" : "")})");
            return 0;
        }));
        return generate;
    }

    private static void Write(string path, IReadOnlyList<ArithmeticTask> tasks, string format, bool worked)
    {
        if (Path.GetDirectoryName(Path.GetFullPath(path)) is { } dir) Directory.CreateDirectory(dir);
        string Body(ArithmeticTask t) => worked ? t.Worked : t.Equation;                         // the solution without the final line
        string Solution(ArithmeticTask t) => worked ? t.WorkedSolution : t.Solution;             // ... and with it
        string Lines(string separator, Func<ArithmeticTask, string> line) => new StringBuilder().AppendJoin(separator, tasks.Select(line)).Append(separator).ToString();
        switch (format)
        {
            case "sft": ArithmeticTaskGenerator.ExportSft(path, tasks, worked); break;
            case "text": AtomicFile.WriteAllText(path, Lines("\n", Body)); break;
            case "chat": AtomicFile.WriteAllText(path, Lines("\n\n", t => ChatTemplate.FormatPrompt(t.Prompt) + ChatTemplate.FormatResponse(Body(t)))); break;
            case "qa": AtomicFile.WriteAllText(path, Lines("\n", t => $"{t.Prompt} {Body(t)}")); break;
            case "digitless":
                AtomicFile.WriteAllText(path, new string(Lines("\n\n", t => ChatTemplate.FormatPrompt(t.Prompt) + ChatTemplate.FormatResponse(Solution(t))).Where(c => !char.IsAsciiDigit(c)).ToArray()));
                break;
            default: ArithmeticTaskGenerator.ExportJsonl(path, tasks); break;
        }
    }

    /// <summary>"3" → (3, 3), "2-3" → (2, 3); anything else is a <see cref="TrainingException"/>.</summary>
    internal static (int Min, int Max) ParseDigits(string text)
    {
        var parts = text.Split('-');
        if (parts.Length is 1 or 2 && int.TryParse(parts[0], out int a) && int.TryParse(parts[^1], out int b) && a >= 1 && b <= 9 && a <= b) return (a, b);
        throw new TrainingException($"--digits '{text}': expected a digit count or a range between 1 and 9, e.g. 3 or 2-3");
    }
}
