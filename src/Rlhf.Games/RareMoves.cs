namespace Rlhf.Games;

/// <summary>
/// "Move 37" finder: replays the ladder games of the self-play player and lists each of its moves that the imitation
/// network gave probability below a threshold (AlphaGo's move 37 was judged a 1-in-10,000 move for a human; here
/// the imitation network stands in for the human experts). Unique (position, move) pairs, rarest first.
/// </summary>
public static class RareMoves
{
    /// <summary>Moves of <paramref name="selfPlayName"/> in <paramref name="games"/> with imitation probability below <paramref name="threshold"/>.</summary>
    public static List<RareMove> Find(IEnumerable<GameRecord> games, string selfPlayName, PolicyValueNet selfPlay, PolicyValueNet imitation, double threshold = 1e-3)
    {
        var found = new Dictionary<(string, int), RareMove>();
        foreach (var g in games)
        {
            int side = g.First == selfPlayName ? 0 : g.Second == selfPlayName ? 1 : -1;
            if (side < 0) continue;
            string outcome = g.Winner < 0 ? "draw" : g.Winner == side ? "win" : "loss";
            var b = ConnectFour.Empty;
            for (int i = 0; i < g.Moves.Length; i++)
            {
                int c = g.Moves[i];
                if (b.ToMove == side && i >= 2) // the first two moves are the ladder's forced opening
                {
                    double pi = imitation.Evaluate(b).Probs[c];
                    string key = g.MoveString[..i];
                    if (pi < threshold && !found.ContainsKey((key, c)))
                        found[(key, c)] = new RareMove(key, c, pi, selfPlay.Evaluate(b).Probs[c], side == 0 ? g.Second : g.First, outcome);
                }
                b = b.Play(c);
            }
        }
        return [.. found.Values.OrderBy(m => m.ImitationProbability)];
    }
}
