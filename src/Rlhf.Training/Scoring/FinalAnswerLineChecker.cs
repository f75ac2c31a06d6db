namespace Rlhf.Training.Scoring;

/// <summary>Exact match of the GSM8K-style final line <c>#### 42</c> against the reference (normalised, <see cref="AnswerText"/>).</summary>
public sealed class FinalAnswerLineChecker : AnswerChecker
{
    /// <inheritdoc/>
    public override string Name => "final-line";

    /// <inheritdoc/>
    public override string? Extract(string completion, out string? problem) => AnswerText.FinalLine(completion, out problem);
}
