namespace Rlhf.Games;

/// <summary>
/// The scripted experts by name, weakest first: <c>random</c>, <c>greedy</c> (win/block), and <c>abN</c>
/// (alpha-beta to depth N over the heuristic evaluation). Measured on the 49 two-ply openings × both colours:
/// ab1 scores 17% against ab3, ab3 21% against ab5 — a graded ladder.
/// </summary>
public static class Experts
{
    /// <summary>The default expert ladder: random, greedy, ab1, ab3 (ab3 is the best expert, the imitation teacher).</summary>
    public static readonly string[] DefaultLadder = ["random", "greedy", "ab1", "ab3"];

    /// <summary>The expert called <paramref name="name"/>; throws <see cref="ArgumentException"/> naming the accepted names otherwise.</summary>
    public static IPlayer Create(string name) => name switch
    {
        "random" => new RandomPlayer(),
        "greedy" => new GreedyPlayer(),
        _ when name.StartsWith("ab", StringComparison.Ordinal) && int.TryParse(name.AsSpan(2), out int d) && d is >= 1 and <= 9 => new AlphaBetaPlayer(d),
        _ => throw new ArgumentException($"unknown expert '{name}': expected random, greedy, or ab1 … ab9 (alpha-beta depth)"),
    };

    /// <summary>True when <paramref name="name"/> names an expert.</summary>
    public static bool IsExpert(string name)
    {
        try { Create(name); return true; }
        catch (ArgumentException) { return false; }
    }
}
