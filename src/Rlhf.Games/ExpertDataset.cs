using Rlhf.Tensors;
using Rlhf.Data;

namespace Rlhf.Games;

/// <summary>
/// Imitation data: positions where the expert moved, as network inputs with the expert's column and the game's
/// outcome for the side to move (+1 win, 0 draw, −1 loss; the value-head target). Built from expert self-play
/// games that start from a random two-ply opening, so the expert is seen in varied positions.
/// </summary>
public sealed class ExpertDataset
{
    private readonly List<float> _x = [], _mask = [];
    private readonly List<int> _moves = [];
    private readonly List<float> _outcomes = [];

    /// <summary>Positions in the set.</summary>
    public int Count => _moves.Count;

    /// <summary>Games the positions came from.</summary>
    public int Games { get; private set; }

    /// <summary>Plays <paramref name="games"/> self-play games of <paramref name="expert"/> (random 2-ply opening each), seeded.</summary>
    public static IReadOnlyList<ExpertGame> Generate(IPlayer expert, int games, Rng rng)
    {
        var list = new List<ExpertGame>(games);
        for (int g = 0; g < games; g++)
        {
            int[] opening = [rng.NextInt(ConnectFour.Columns), rng.NextInt(ConnectFour.Columns)];
            var rec = Referee.Play(expert, expert, rng, opening);
            list.Add(new ExpertGame(expert.Name, rec.MoveString, opening.Length, rec.Winner));
        }
        return list;
    }

    /// <summary>Writes games to JSONL (atomically).</summary>
    public static void Write(string path, IEnumerable<ExpertGame> games) => Jsonl.Write(path, games);

    /// <summary>Reads games from JSONL; throws <see cref="DataFormatException"/> naming file:line on a malformed or illegal game.</summary>
    public static List<ExpertGame> Read(string path) => [.. Jsonl.Read<ExpertGame>(path).Select(t => t.Record)];

    /// <summary>The imitation positions of <paramref name="games"/>: every move after each opening.</summary>
    public static ExpertDataset FromGames(IEnumerable<ExpertGame> games)
    {
        var d = new ExpertDataset();
        Span<float> x = stackalloc float[BoardFeatures.Size];
        Span<float> mask = stackalloc float[ConnectFour.Columns];
        foreach (var g in games)
        {
            var b = ConnectFour.Empty;
            for (int i = 0; i < g.Moves.Length; i++)
            {
                int c = g.Moves[i] - '0';
                if (i >= g.Opening)
                {
                    BoardFeatures.Encode(b, x, mask);
                    foreach (float v in x) d._x.Add(v);
                    foreach (float v in mask) d._mask.Add(v);
                    d._moves.Add(c);
                    d._outcomes.Add(g.Winner < 0 ? 0f : g.Winner == b.ToMove ? 1f : -1f);
                }
                b = b.Play(c);
            }
            d.Games++;
        }
        return d;
    }

    /// <summary>The batch of positions <paramref name="indices"/>: inputs (B, 126), masks (B, 7), expert moves, outcomes (B).</summary>
    public (Tensor X, Tensor Mask, int[] Moves, Tensor Outcomes) Batch(ReadOnlySpan<int> indices)
    {
        int n = indices.Length, f = BoardFeatures.Size, c = ConnectFour.Columns;
        var x = new float[n * f];
        var m = new float[n * c];
        var moves = new int[n];
        var z = new float[n];
        for (int i = 0; i < n; i++)
        {
            int k = indices[i];
            for (int j = 0; j < f; j++) x[i * f + j] = _x[k * f + j];
            for (int j = 0; j < c; j++) m[i * c + j] = _mask[k * c + j];
            (moves[i], z[i]) = (_moves[k], _outcomes[k]);
        }
        return (Tensor.FromArray(x, n, f), Tensor.FromArray(m, n, c), moves, Tensor.FromArray(z, n));
    }
}
