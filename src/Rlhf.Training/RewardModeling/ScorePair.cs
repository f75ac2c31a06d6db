namespace Rlhf.Training.RewardModeling;

/// <summary>
/// One preference inside a scored batch: the completion in row <paramref name="Better"/> was ranked above the one in
/// row <paramref name="Worse"/>. <paramref name="Weight"/> is 1/(untied pairs of the ranking) for a K-wise ranking — 1/C(K,2) without ties (InstructGPT:
/// one prompt counts as one batch element however many pairs it yields); <paramref name="Margin"/> is an optional
/// required score gap (Llama 2's margin loss).
/// </summary>
public sealed record ScorePair(int Better, int Worse, float Weight = 1f, float Margin = 0f);
