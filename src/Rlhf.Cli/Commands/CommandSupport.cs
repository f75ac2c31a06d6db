using System.CommandLine;
using Rlhf.Models.Tokenization;
using Rlhf.Cli.Progress;
using Rlhf.Data.Progress;
using Rlhf.Training.Common;
using Rlhf.Training.Labeling;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Commands;

/// <summary>Pieces every training/inference verb uses: error reporting, option checks, progress settings.</summary>
internal static class CommandSupport
{
    /// <summary>Exit code of a training verb stopped by a signal after saving its checkpoint (128 + SIGINT, as shells report Ctrl+C).</summary>
    public const int StoppedExitCode = 130;

    /// <summary>
    /// Runs a verb body with the invocation's output and error writers. Expected user errors (missing or malformed
    /// files, a checkpoint with missing tensors, settings that cannot work) print <c>error: message</c> on stderr and
    /// return 1 without a stack trace; anything else is a bug and propagates to System.CommandLine's handler.
    /// </summary>
    public static int RunReportingErrors(ParseResult parse, Func<TextWriter, TextWriter, int> body)
    {
        var output = parse.InvocationConfiguration.Output;
        var error = parse.InvocationConfiguration.Error;
        try { return body(output, error); }
        catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException or TrainingException)
        {
            output.Flush();
            error.WriteLine($"error: {e.Message}");
            return 1;
        }
    }

    /// <summary>What <c>--gold</c> accepts, for its option check.</summary>
    public static readonly string GoldNameMessage =
        $"--gold must be '{LabelingRun.LexiconGold}', '{LabelingRun.RewardModelGoldPrefix}<reward model directory>', an http(s):// scoring URL or '{ExternalScorerSpec.CommandPrefix}<program>'.";

    /// <summary>True for a gold scorer name <see cref="CreateGold"/> knows: <c>lexicon</c>, <c>rm:&lt;dir&gt;</c>, an http(s) URL or <c>cmd:&lt;program&gt;</c>.</summary>
    public static bool IsGoldName(string? name) =>
        name == LabelingRun.LexiconGold
        || (name is not null && name.StartsWith(LabelingRun.RewardModelGoldPrefix, StringComparison.Ordinal) && name.Length > LabelingRun.RewardModelGoldPrefix.Length)
        || ExternalScorerSpec.IsExternal(name);

    /// <summary>The gold scorer called <paramref name="name"/>, with the scorer's own error turned into a user error (dispose it when it is <see cref="IDisposable"/>).</summary>
    public static IGoldScorer CreateGold(string name)
    {
        try { return LabelingRun.CreateGold(name); }
        catch (ArgumentException e) { throw new TrainingException($"--gold: {e.Message}", e); }
    }

    /// <summary>The external reward (http(s) URL or <c>cmd:</c>) <paramref name="spec"/> names, given to <paramref name="option"/>; a bad spec is a user error.</summary>
    public static ExternalReward CreateExternalReward(string option, string spec, ExternalScorerPolicy policy)
    {
        try { return ExternalScorerSpec.CreateReward(spec, policy); }
        catch (ArgumentException e) { throw new TrainingException($"{option} '{spec}': {e.Message}", e); }
    }

    /// <summary><c>--missing-eos-penalty</c>: subtracted from the reward of a response cut at --max-new-tokens without end-of-text (default: off).</summary>
    public static Option<float?> MissingEosPenaltyOption() => new Option<float?>("--missing-eos-penalty")
    {
        Description = "Subtract this from the reward of a response cut at --max-new-tokens without end-of-text (TRL missing_eos_penalty; e.g. 1). Default: off. "
            + "The fraction of such responses is logged as truncated_frac either way.",
    }.Require(v => v is null || float.IsFinite(v.Value), "--missing-eos-penalty must be a finite number.");

    /// <summary><c>--chat-template</c>: how prompts and answers become tokens (<see cref="ChatTemplate.For"/>).</summary>
    public static Option<string?> ChatTemplateOption() => new Option<string?>("--chat-template")
    {
        Description = "How prompts and answers become tokens: auto (default) = the tokenizer's chat_template from tokenizer_config.json "
            + "(ChatML, Qwen3 or Llama 3; another template is an error), or the plain \"User: …\\nAssistant:\" format when it has none; "
            + "none = the plain format; chatml, qwen3, llama3 = that format. Generation stops at the format's end-of-turn token.",
    }.Require(v => v is null || ChatTemplate.Choices.Contains(v.ToLowerInvariant()), $"--chat-template must be one of {string.Join(", ", ChatTemplate.Choices)}.");

    /// <summary>
    /// Throws <see cref="TrainingException"/> listing <paramref name="problems"/> (a config's own checks), each under
    /// the option that sets its field (<c>--batch: batch size 0 must be ≥ 1</c>); a field no option sets keeps the bare
    /// message. Does nothing when there are none.
    /// </summary>
    public static void ThrowProblems(IReadOnlyList<ConfigProblem> problems, IReadOnlyDictionary<string, Option> optionOf)
    {
        if (problems.Count == 0) return;
        var lines = problems.Select(p => optionOf.TryGetValue(p.Field, out var o) ? $"{o.Name}: {p.Message}" : p.Message);
        throw new TrainingException(string.Join("; ", lines));
    }

    /// <summary>Adds a range check to <paramref name="option"/>; values that do not even convert are left to the parser's own error.</summary>
    public static Option<T> Require<T>(this Option<T> option, Func<T, bool> valid, string message)
    {
        option.Validators.Add(r =>
        {
            T value;
            try { value = r.GetValueOrDefault<T>()!; }
            catch (InvalidOperationException) { return; }
            if (!valid(value)) r.AddError(message);
        });
        return option;
    }

    /// <summary>True when the user typed <paramref name="option"/> (not just its default).</summary>
    public static bool Given(this ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>Progress display: auto-detected on the real console, plain lines into any other writer (tests, redirection by callers).</summary>
    public static IProgressReporter Progress(TextWriter output) =>
        new ConsoleProgressReporter(ReferenceEquals(output, Console.Out) ? null : new TrainingProgressOptions { PlainOutput = output, Interactive = false });

    /// <summary>Throws <see cref="FileNotFoundException"/> naming <paramref name="path"/> when it is not an existing file; returns it.</summary>
    public static string ExistingFile(string path) =>
        File.Exists(path) ? path : throw new FileNotFoundException($"{path}: no such file", path);

    /// <summary>Loads a tokenizer directory (or tokenizer.json file), with a clear error when the path does not exist.</summary>
    public static BpeTokenizer LoadTokenizer(string path) =>
        Directory.Exists(path) || File.Exists(path) ? BpeTokenizer.Load(path) : throw new DirectoryNotFoundException($"{path}: no such file or directory (expected a tokenizer directory)");

    /// <summary>Turns the escapes <c>\n</c>, <c>\t</c> and <c>\\</c> typed on a command line into the characters.</summary>
    public static string Unescape(string text) => text.Replace("\\\\", "\0").Replace("\\n", "\n").Replace("\\t", "\t").Replace('\0', '\\');
}
