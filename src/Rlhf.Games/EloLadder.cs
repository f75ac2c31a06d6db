using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>
/// Round-robin tournament (<c>rlhf game elo</c>): every pair of entries plays each of the given openings twice, once
/// with each colour, so colour and opening advantages cancel within a pair; deterministic players (greedy networks)
/// still meet in varied positions. Ratings by <see cref="EloFit"/>, anchored at the first entry (the random
/// player, Elo 0), with percentile-bootstrap intervals. An illegal move loses that game (see <see cref="Referee"/>).
/// </summary>
public static class EloLadder
{
    /// <summary>Plays the tournament and fits the ratings. <paramref name="progress"/> sees (pairs done, pairs total).</summary>
    public static LadderResult Run(IReadOnlyList<LadderEntry> entries, IReadOnlyList<int[]> openings, Rng rng, int bootstrap = 200,
        double priorDraws = 1.0, Action<int, int>? progress = null)
    {
        int n = entries.Count, totalPairs = n * (n - 1) / 2, done = 0;
        var pairs = new List<PairResult>(totalPairs);
        var games = new List<GameRecord>();
        // 1. all pairs, both colours per opening
        for (int i = 0; i < n; i++)
        for (int j = i + 1; j < n; j++)
        {
            int w = 0, d = 0, l = 0;
            var units = new List<GameUnit>(openings.Count);
            foreach (var opening in openings)
            {
                var (w0, d0, l0) = (w, d, l);
                foreach (bool iFirst in (bool[])[true, false])
                {
                    var rec = iFirst ? Referee.Play(entries[i].Player, entries[j].Player, rng, opening)
                                     : Referee.Play(entries[j].Player, entries[i].Player, rng, opening);
                    games.Add(rec);
                    int iWinner = iFirst ? 0 : 1;
                    if (rec.Winner < 0) d++;
                    else if (rec.Winner == iWinner) w++;
                    else l++;
                }
                units.Add(new GameUnit(w - w0, d - d0, l - l0));
            }
            pairs.Add(new PairResult(i, j, w, d, l, units));
            progress?.Invoke(++done, totalPairs);
        }
        // 2. ratings and bootstrap intervals
        var elo = EloFit.Fit(n, pairs, priorDraws);
        var (lo, hi, dLo, dHi) = EloFit.Bootstrap(n, pairs, rng, bootstrap, priorDraws: priorDraws);
        var ratings = Enumerable.Range(0, n).Select(k =>
        {
            int g = pairs.Where(p => p.I == k || p.J == k).Sum(p => p.Games);
            double s = pairs.Where(p => p.I == k).Sum(p => p.Score) + pairs.Where(p => p.J == k).Sum(p => p.Games - p.Score);
            return new EloRating(entries[k].Name, entries[k].Group, entries[k].TrainingX, elo[k], lo[k], hi[k], g, g > 0 ? s / g : double.NaN);
        }).ToList();
        return new LadderResult(entries, pairs, games, ratings, dLo, dHi);
    }
}
