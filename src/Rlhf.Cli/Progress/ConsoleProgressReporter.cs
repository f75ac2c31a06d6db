using Rlhf.Data.Progress;

namespace Rlhf.Cli.Progress;

/// <summary>
/// The CLI's <see cref="IProgressReporter"/>: every run a trainer starts is shown by a <see cref="TrainingProgress"/>
/// (a live Spectre.Console bar on an interactive terminal, plain lines otherwise) with these options.
/// </summary>
public sealed class ConsoleProgressReporter(TrainingProgressOptions? options = null) : IProgressReporter
{
    /// <inheritdoc/>
    public ITrainingProgress Start(string title, int totalSteps, int startStep = 0) =>
        TrainingProgress.Start(title, totalSteps, startStep, options);
}
