namespace Rlhf.Data.Preferences;

/// <summary>
/// One (better, worse) comparison expanded from a <see cref="RankedCompletions"/>: indices into its completions and
/// the pair's loss weight, <c>1 / (number of pairs of the record)</c>.
/// </summary>
public readonly record struct RankedPair(int Better, int Worse, double Weight);
