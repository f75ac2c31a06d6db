using Rlhf.Data.Preferences;


namespace Rlhf.Training.RewardModeling;

/// <summary>One ranked record in ids: each completion as template ids (prompt + response + end-of-text) and its pairs.</summary>
/// <param name="Sequences">Per completion, <c>ChatTemplate.Encode(prompt, completion).Ids</c>.</param>
/// <param name="Pairs">The record's (better, worse) pairs with weight 1/#pairs (<see cref="RankedCompletions.Pairs"/>).</param>
public sealed record EncodedRanking(int[][] Sequences, IReadOnlyList<RankedPair> Pairs);
