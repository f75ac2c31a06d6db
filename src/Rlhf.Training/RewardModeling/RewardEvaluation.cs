namespace Rlhf.Training.RewardModeling;

/// <summary>What <see cref="RewardEvaluator"/> measured on a preference set.</summary>
/// <param name="Records">Records scored.</param>
/// <param name="Skipped">Records left out because a completion did not fit the model context.</param>
/// <param name="Pairs">Pairs compared (each counts once, whatever its weight).</param>
/// <param name="Accuracy">Fraction of pairs with r_better &gt; r_worse (a tie counts half), unweighted.</param>
/// <param name="Lower">Lower end of the 95% Wilson score interval of <paramref name="Accuracy"/>.</param>
/// <param name="Upper">Upper end of the 95% Wilson score interval.</param>
/// <param name="MeanMargin">Mean of r_better − r_worse over pairs, in normalised units (raw / Std).</param>
/// <param name="Loss">The ranking loss −(1/G) Σ w·log σ(r_b − r_w) over all records (G = records), raw scores, no margin.</param>
/// <param name="Calibration">Confidence bins (see <see cref="CalibrationBin"/>); counts sum to <paramref name="Pairs"/>.</param>
public sealed record RewardEvaluation(int Records, int Skipped, int Pairs, double Accuracy, double Lower, double Upper, double MeanMargin,
    double Loss, IReadOnlyList<CalibrationBin> Calibration);
