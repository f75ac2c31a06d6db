using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>A Connect Four player: picks a column for the side to move. All randomness comes from the given <see cref="Rng"/>.</summary>
public interface IPlayer
{
    /// <summary>Short name used in tables and the Elo ladder, e.g. "ab4" or "selfplay@200".</summary>
    string Name { get; }

    /// <summary>The column to play in <paramref name="position"/> (not over). May be illegal: the match referee checks it.</summary>
    int ChooseMove(ConnectFour position, Rng rng);
}
