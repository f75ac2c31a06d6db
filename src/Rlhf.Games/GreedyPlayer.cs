using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>
/// One-ply tactician: wins at once when it can, otherwise blocks the opponent's immediate win, otherwise plays a
/// random legal column weighted towards the centre (weights 1,2,3,4,3,2,1: centre columns take part in more fours).
/// </summary>
public sealed class GreedyPlayer : IPlayer
{
    private static readonly int[] CentreWeight = [1, 2, 3, 4, 3, 2, 1];

    /// <inheritdoc/>
    public string Name => "greedy";

    /// <inheritdoc/>
    public int ChooseMove(ConnectFour position, Rng rng)
    {
        Span<int> legal = stackalloc int[ConnectFour.Columns];
        int n = position.LegalMoves(legal);
        // 1. win now
        for (int i = 0; i < n; i++) if (position.IsWinningMove(legal[i])) return legal[i];
        // 2. block: a cell where the opponent would complete four next move
        ulong opp = position.Stones(1 - position.ToMove);
        for (int i = 0; i < n; i++)
        {
            var after = position.PlayUnchecked(legal[i]);
            ulong cell = after.Stones(position.ToMove) & ~position.Stones(position.ToMove);
            if (ConnectFour.HasFour(opp | cell)) return legal[i];
        }
        // 3. centre-weighted random
        int total = 0;
        for (int i = 0; i < n; i++) total += CentreWeight[legal[i]];
        int r = rng.NextInt(total);
        for (int i = 0; i < n; i++) if ((r -= CentreWeight[legal[i]]) < 0) return legal[i];
        return legal[n - 1];
    }
}
