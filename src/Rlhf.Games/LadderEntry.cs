namespace Rlhf.Games;

/// <summary>A participant of the Elo ladder: the player, its group ("expert", "imitation", "selfplay") and its place on the training axis of the plot (null for experts).</summary>
public sealed record LadderEntry(IPlayer Player, string Group, double? TrainingX = null)
{
    /// <summary>The player's name.</summary>
    public string Name => Player.Name;
}
