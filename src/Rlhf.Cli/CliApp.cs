using System.CommandLine;
using Rlhf.Cli.Bench;
using Rlhf.Cli.Commands;
using Rlhf.Cli.Demo;

namespace Rlhf.Cli;

/// <summary>
/// The <c>rlhf</c> command tree: <c>tokenizer train</c>, <c>pretrain</c>, <c>sft</c>, <c>generate</c>, <c>data stats</c>, and <c>bench peak|gemm|train|generate</c>.
/// </summary>
public static class CliApp
{
    /// <summary><c>--verbose</c> on any verb: print the stack trace of an unexpected error after its one-line report.</summary>
    public static readonly Option<bool> Verbose = new("--verbose") { Description = "On an unexpected error, print the stack trace too (by default one error line).", Recursive = true };

    /// <summary>Builds the root command with every verb attached.</summary>
    public static RootCommand Create()
    {
        var root = new RootCommand("rlhf: a complete RLHF system (SFT, reward model, PPO) in C# on a plain CPU, with its own tensor engine.");
        root.Add(Verbose);
        root.Add(TokenizerCommand.Create());
        root.Add(PretrainCommand.Create());
        root.Add(SftCommand.Create());
        root.Add(RmCommand.Create());
        root.Add(DpoCommand.Create());
        root.Add(OnlineCommand.Create());
        root.Add(GenerateCommand.Create());
        root.Add(ModelCommand.Create());
        root.Add(DataCommand.Create());
        root.Add(LabelCommand.Create());
        root.Add(BonCommand.Create());
        root.Add(GuardCommand.Create());
        root.Add(ReportCommand.Create());
        root.Add(PpoCommand.Create());
        root.Add(GameCommand.Create());
        root.Add(TasksCommand.Create());
        root.Add(GrpoCommand.Create());
        root.Add(BenchCommand.Create());
        root.Add(DemoCommand.Create());
        return root;
    }

    /// <summary>
    /// Parses and runs <paramref name="args"/>, writing to the given writers; returns the exit code (0 = success).
    /// Any exception a verb lets escape ends it with one <c>error:</c> line and exit code 1 (<see cref="FailureReport"/>).
    /// </summary>
    public static int Run(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var config = new InvocationConfiguration { EnableDefaultExceptionHandler = false };
        if (output is not null) config.Output = output;
        if (error is not null) config.Error = error;
        var parse = Create().Parse(args);
        try { return parse.Invoke(config); }
        catch (Exception e)
        {
            config.Output.Flush();
            bool verbose = false;
            try { verbose = parse.GetValue(Verbose); }
            catch (InvalidOperationException) { }
            return FailureReport.Write(e, config.Error, verbose);
        }
    }
}
