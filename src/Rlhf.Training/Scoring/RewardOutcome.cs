namespace Rlhf.Training.Scoring;

/// <summary>
/// A reward function's verdict on one sample: the scalar reward, optionally a spread (ensemble disagreement, the
/// std over members) and a note saying why a sample got what it got (e.g. "no \boxed{} answer", "judge timed out").
/// </summary>
public readonly record struct RewardOutcome(float Reward, float? Spread = null, string? Note = null);
