namespace Rlhf.Training.RewardModeling;

/// <summary>
/// Pairs whose confidence c = max(p, 1 − p), p = σ(r_better − r_worse), fell in [<paramref name="Low"/>,
/// <paramref name="High"/>): the model's predicted probability that its own choice matches the label. Calibrated
/// when <paramref name="Accuracy"/> ≈ <paramref name="MeanConfidence"/>.
/// </summary>
/// <param name="Low">Bin start.</param>
/// <param name="High">Bin end (the last bin includes 1).</param>
/// <param name="Count">Pairs in the bin.</param>
/// <param name="MeanConfidence">Mean c of those pairs (NaN when empty).</param>
/// <param name="Accuracy">Fraction of those pairs ordered as labelled (NaN when empty).</param>
public sealed record CalibrationBin(double Low, double High, int Count, double MeanConfidence, double Accuracy);
