namespace Rlhf.Training.Scoring;

/// <summary>A judge's answer: whether solution and reference agree, and its probability of "yes" when the backend knows it.</summary>
public readonly record struct JudgeVerdict(bool Agree, double? YesProbability = null);
