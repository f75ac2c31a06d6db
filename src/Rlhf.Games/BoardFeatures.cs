namespace Rlhf.Games;

/// <summary>
/// Network input of a position, from the side to move's point of view (so one network plays both colours):
/// three 6×7 planes, cell index row·7 + col — own stones, opponent stones, and the playable cells (the lowest empty
/// cell of each non-full column, where a dropped stone would land) — then three tactical bits per column: dropping
/// here wins now; the opponent would win by dropping here (a block); dropping here lets the opponent win on top of
/// it. Like AlphaGo's hand-made input features (ladder captures, liberties; Silver et al. 2016, Extended Data
/// Table 2), these give a small MLP the one- and two-ply tactics it otherwise learns poorly (no translation
/// invariance); longer plans it must learn. Plus the additive legal-move mask for the
/// policy logits: 0 for a legal column, <see cref="IllegalLogit"/> for a full one (masked softmax).
/// </summary>
public static class BoardFeatures
{
    /// <summary>Input width: 3 planes × 42 cells + 3 tactical bits × 7 columns.</summary>
    public const int Size = 3 * ConnectFour.Cells + 3 * ConnectFour.Columns;

    /// <summary>Added to an illegal column's logit: exp underflows to exactly 0, yet finite (entropy stays defined).</summary>
    public const float IllegalLogit = -1e9f;

    /// <summary>Writes the features of <paramref name="position"/> into <paramref name="x"/> (length <see cref="Size"/>) and its mask into <paramref name="mask"/> (length 7).</summary>
    public static void Encode(ConnectFour position, Span<float> x, Span<float> mask)
    {
        x[..Size].Clear();
        int me = position.ToMove;
        for (int c = 0; c < ConnectFour.Columns; c++)
        {
            int h = position.Height(c);
            for (int r = 0; r < h; r++) x[(position.At(r, c) == me ? 0 : ConnectFour.Cells) + r * ConnectFour.Columns + c] = 1;
            bool legal = position.IsLegal(c);
            if (legal) x[2 * ConnectFour.Cells + h * ConnectFour.Columns + c] = 1;
            mask[c] = legal ? 0 : IllegalLogit;
            if (!legal) continue;
            ulong cell = ConnectFour.Cell(h, c), above = h + 1 < ConnectFour.Rows ? ConnectFour.Cell(h + 1, c) : 0;
            int t = 3 * ConnectFour.Cells + 3 * c;
            if (ConnectFour.HasFour(position.Stones(me) | cell)) x[t] = 1;
            if (ConnectFour.HasFour(position.Stones(1 - me) | cell)) x[t + 1] = 1;
            if (above != 0 && ConnectFour.HasFour(position.Stones(1 - me) | above)) x[t + 2] = 1;
        }
    }
}
