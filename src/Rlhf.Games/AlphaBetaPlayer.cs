using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>
/// Depth-limited negamax with alpha-beta pruning over <see cref="HeuristicEvaluation"/> (Knuth &amp; Moore 1975):
/// a win found at remaining depth d scores ±(<see cref="WinScore"/> + d), so nearer wins are preferred and later
/// losses postponed. Every root move is searched with a full window so that ties are exact, and the move is drawn
/// uniformly among the best-scoring ones: games between experts vary, and equal-looking moves are not biased to a
/// column. Depth = plies looked ahead including the move itself (depth 1 ≈ pick the best-evaluated next position).
/// </summary>
public sealed class AlphaBetaPlayer(int depth) : IPlayer
{
    /// <summary>Base score of a won position (far above any heuristic value).</summary>
    public const int WinScore = 100_000;

    /// <summary>Search depth in plies.</summary>
    public int Depth { get; } = depth >= 1 ? depth : throw new ArgumentOutOfRangeException(nameof(depth), "alpha-beta depth must be >= 1");

    /// <inheritdoc/>
    public string Name => $"ab{Depth}";

    // columns searched centre-first: better move ordering, more cut-offs
    private static readonly int[] Order = [3, 2, 4, 1, 5, 0, 6];

    /// <inheritdoc/>
    public int ChooseMove(ConnectFour position, Rng rng)
    {
        Span<int> best = stackalloc int[ConnectFour.Columns];
        int nBest = 0, bestScore = int.MinValue;
        foreach (int c in Order)
        {
            if (!position.IsLegal(c)) continue;
            int score = position.IsWinningMove(c) ? WinScore + Depth : -Negamax(position.PlayUnchecked(c), Depth - 1, -int.MaxValue, int.MaxValue);
            if (score > bestScore) (bestScore, nBest) = (score, 0);
            if (score == bestScore) best[nBest++] = c;
        }
        best[..nBest].Sort(); // tie order independent of the search order
        return best[rng.NextInt(nBest)];
    }

    /// <summary>Value of <paramref name="position"/> for the side to move, searched <paramref name="depth"/> more plies.</summary>
    internal static int Negamax(ConnectFour position, int depth, int alpha, int beta)
    {
        if (position.MovesPlayed == ConnectFour.Cells) return 0;
        if (depth == 0) return HeuristicEvaluation.Evaluate(position);
        foreach (int c in Order)
            if (position.HasRoom(c) && position.IsWinningMove(c)) return WinScore + depth;
        int best = -int.MaxValue;
        foreach (int c in Order)
        {
            if (!position.HasRoom(c)) continue;
            int v = -Negamax(position.PlayUnchecked(c), depth - 1, -beta, -alpha);
            if (v > best) best = v;
            if (v > alpha) alpha = v;
            if (alpha >= beta) break;
        }
        return best;
    }
}
