using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>The weakest expert: a uniformly random legal column.</summary>
public sealed class RandomPlayer : IPlayer
{
    /// <inheritdoc/>
    public string Name => "random";

    /// <inheritdoc/>
    public int ChooseMove(ConnectFour position, Rng rng)
    {
        Span<int> legal = stackalloc int[ConnectFour.Columns];
        int n = position.LegalMoves(legal);
        return legal[rng.NextInt(n)];
    }
}
