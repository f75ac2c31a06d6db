namespace Rlhf.Training.Scoring;

/// <summary>Exact match of the last <c>\boxed{...}</c> in the response against the reference (normalised, <see cref="AnswerText"/>).</summary>
public sealed class BoxedAnswerChecker : AnswerChecker
{
    /// <inheritdoc/>
    public override string Name => "boxed";

    /// <inheritdoc/>
    public override string? Extract(string completion, out string? problem) => AnswerText.Boxed(completion, out problem);
}
