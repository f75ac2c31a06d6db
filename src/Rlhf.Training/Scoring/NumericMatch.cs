namespace Rlhf.Training.Scoring;

/// <summary>
/// Numeric match with tolerance: the response's answer — its last <c>\boxed{}</c>, else its <c>####</c> line, else
/// its last number — equals the reference when |a − b| ≤ <see cref="AbsoluteTolerance"/> + <see cref="RelativeTolerance"/>·|b|.
/// Answers that are not numbers fall back to exact normalised text match.
/// </summary>
/// <param name="absoluteTolerance">Absolute slack (default 1e-6).</param>
/// <param name="relativeTolerance">Relative slack, a fraction of |reference| (default 0).</param>
public sealed class NumericMatch(double absoluteTolerance = 1e-6, double relativeTolerance = 0) : AnswerChecker
{
    /// <summary>Absolute slack.</summary>
    public double AbsoluteTolerance { get; } = absoluteTolerance >= 0 ? absoluteTolerance : throw new ArgumentOutOfRangeException(nameof(absoluteTolerance));

    /// <summary>Relative slack.</summary>
    public double RelativeTolerance { get; } = relativeTolerance >= 0 ? relativeTolerance : throw new ArgumentOutOfRangeException(nameof(relativeTolerance));

    /// <inheritdoc/>
    public override string Name => "numeric";

    /// <inheritdoc/>
    public override string? Extract(string completion, out string? problem) =>
        AnswerText.Boxed(completion, out problem) ?? AnswerText.FinalLine(completion, out problem) ?? AnswerText.LastNumber(completion, out problem);

    /// <inheritdoc/>
    public override bool Matches(string predicted, string reference) =>
        AnswerText.TryNumber(predicted, out _) && AnswerText.TryNumber(reference, out _)
            ? AnswerText.NumbersClose(predicted, reference, AbsoluteTolerance, RelativeTolerance)
            : base.Matches(predicted, reference);
}
