using Rlhf.Cli;

namespace Rlhf.Cli.Tests;

/// <summary>Runs an <c>rlhf</c> command line in-process and captures what it prints.</summary>
internal static class InProcessCli
{
    /// <summary>The exit code, standard output and standard error of <c>rlhf <paramref name="args"/></c>.</summary>
    public static (int Code, string Out, string Err) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
