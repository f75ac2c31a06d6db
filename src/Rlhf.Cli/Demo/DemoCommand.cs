using System.CommandLine;
using Rlhf.Cli.Commands;

namespace Rlhf.Cli.Demo;

/// <summary><c>rlhf demo</c>: the whole RLHF loop in one command (<see cref="DemoRunner"/>).</summary>
public static class DemoCommand
{
    /// <summary>Builds the <c>demo</c> verb.</summary>
    public static Command Create()
    {
        var quick = new Option<bool>("--quick") { Description = "Every stage at toy size (about 3 minutes): checks the plumbing, does not show the story." };
        var outDir = new Option<string>("--out") { Description = "Demo directory: one sub-directory per stage, demo.json, samples.json and report.html.", DefaultValueFactory = _ => "runs/demo" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the corpus, every model and every sampler: the same seed reproduces the same numbers.", DefaultValueFactory = _ => 1 };
        var set = new Option<string[]>("--set") { Description = "Override a setting of the demo, Name=value (repeatable), e.g. --set PpoIterations=200 --set Layers=6; see DemoSettings.", AllowMultipleArgumentsPerToken = true };
        var restart = new Option<bool>("--restart") { Description = "Delete --out and start over (default: resume from the last finished stage)." };
        var command = new Command("demo", "The whole RLHF story on a laptop CPU: pretrain a small GPT on a built-in review corpus, SFT, simulated "
            + "labelers rank K = 4 samples per prompt, a reward-model ensemble, PPO against it (unleashed, with the reward-hacking guard "
            + "watching), best-of-N and DPO for comparison, and GRPO on arithmetic with a checker; then report.html. Re-running resumes "
            + "from the last finished stage.")
        {
            quick, outDir, seed, restart, set,
        };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, error) =>
        {
            try
            {
                return new DemoRunner(parse.GetValue(outDir)!, parse.GetValue(quick), parse.GetValue(seed), output, error, parse.GetValue(set) ?? []).Run(parse.GetValue(restart));
            }
            catch (DemoStoppedException e)
            {
                error.WriteLine($"demo: {e.Message}");
                return CommandSupport.StoppedExitCode;
            }
        }));
        return command;
    }
}
