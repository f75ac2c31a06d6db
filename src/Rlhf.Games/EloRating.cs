namespace Rlhf.Games;

/// <summary>One ladder row: name, group, training position, Elo with its 95% bootstrap interval, games and score share.</summary>
public sealed record EloRating(string Name, string Group, double? TrainingX, double Elo, double Lo, double Hi, int Games, double ScoreShare);
