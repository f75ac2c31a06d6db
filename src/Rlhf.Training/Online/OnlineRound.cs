using Rlhf.Data.Preferences;


namespace Rlhf.Training.Online;

/// <summary>One round's training input.</summary>
/// <param name="Round">Round number (0-based).</param>
/// <param name="PolicyDirectory">Model directory of the policy that produced the samples.</param>
/// <param name="ReferenceDirectory">Model directory of the reference to regularise towards.</param>
/// <param name="Rankings">The labelled K-wise rankings of this round's samples.</param>
/// <param name="Directory">The round's own directory, for the trainer's run.</param>
public sealed record OnlineRound(int Round, string PolicyDirectory, string ReferenceDirectory, PreferenceData Rankings, string Directory);
