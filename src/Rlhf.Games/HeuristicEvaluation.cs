using System.Numerics;

namespace Rlhf.Games;

/// <summary>
/// Static evaluation of a Connect Four position for the alpha-beta experts, from the side to move: over the 69
/// four-cell windows, a window holding only one player's stones scores for that player +1 (one stone), +4 (two),
/// +16 (three); plus +2 per stone in the centre column. Score = own − opponent. The usual hand-made evaluation
/// of introductory Connect Four programs: cheap (popcounts of 69 masks) and tactically blind beyond the search depth.
/// </summary>
public static class HeuristicEvaluation
{
    private static readonly ulong[] Windows = BuildWindows();
    private static readonly int[] WindowScore = [0, 1, 4, 16, 0];
    private static readonly ulong CentreColumn = Enumerable.Range(0, ConnectFour.Rows).Aggregate(0UL, (m, r) => m | ConnectFour.Cell(r, 3));

    /// <summary>Number of four-cell windows on the 7×6 board (24 horizontal + 21 vertical + 12 + 12 diagonal).</summary>
    public static int WindowCount => Windows.Length;

    /// <summary>The score of <paramref name="position"/> for the player to move (see the type).</summary>
    public static int Evaluate(ConnectFour position)
    {
        ulong own = position.Stones(position.ToMove), opp = position.Stones(1 - position.ToMove);
        int score = 2 * (BitOperations.PopCount(own & CentreColumn) - BitOperations.PopCount(opp & CentreColumn));
        foreach (ulong w in Windows)
        {
            ulong o = own & w, p = opp & w;
            if (p == 0) score += WindowScore[BitOperations.PopCount(o)];
            else if (o == 0) score -= WindowScore[BitOperations.PopCount(p)];
        }
        return score;
    }

    private static ulong[] BuildWindows()
    {
        var list = new List<ulong>();
        (int dr, int dc)[] dirs = [(0, 1), (1, 0), (1, 1), (-1, 1)];
        for (int r = 0; r < ConnectFour.Rows; r++)
        for (int c = 0; c < ConnectFour.Columns; c++)
        foreach (var (dr, dc) in dirs)
        {
            int r3 = r + 3 * dr, c3 = c + 3 * dc;
            if (r3 is < 0 or >= ConnectFour.Rows || c3 >= ConnectFour.Columns) continue;
            ulong m = 0;
            for (int k = 0; k < 4; k++) m |= ConnectFour.Cell(r + k * dr, c + k * dc);
            list.Add(m);
        }
        return [.. list];
    }
}
