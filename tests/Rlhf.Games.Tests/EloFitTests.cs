using Rlhf.Tensors;

namespace Rlhf.Games.Tests;

public class EloFitTests
{
    [Fact]
    public void Seventy_five_percent_is_400_log10_3_elo()
    {
        // A scores 75% against B: 0.75 = 1/(1 + 10^(-d/400)) ⇒ d = 400·log10(3) ≈ 190.85
        var r = EloFit.Fit(2, [new PairResult(0, 1, 70, 10, 20)], priorDraws: 0, anchor: 1);
        Assert.Equal(400 * Math.Log10(3), r[0], 6);
        Assert.Equal(0, r[1], 9);
    }

    [Fact]
    public void Consistent_three_player_results_are_recovered_exactly()
    {
        // γ = 9, 3, 1: P(A>B) = 0.75, P(B>C) = 0.75, P(A>C) = 0.9
        var pairs = new[] { new PairResult(0, 1, 75, 0, 25), new PairResult(1, 2, 75, 0, 25), new PairResult(0, 2, 90, 0, 10) };
        var r = EloFit.Fit(3, pairs, priorDraws: 0, anchor: 2);
        Assert.Equal(800 * Math.Log10(3), r[0], 6);
        Assert.Equal(400 * Math.Log10(3), r[1], 6);
        Assert.Equal(0.9, EloFit.ExpectedScore(r[0], r[2]), 9);
    }

    [Fact]
    public void A_clean_sweep_stays_finite_with_the_virtual_draw()
    {
        var r = EloFit.Fit(2, [new PairResult(0, 1, 0, 0, 50)], priorDraws: 1);
        // player 1 scores 50.5 of 51 games ⇒ R1 − R0 = 400·log10(50.5/0.5)
        Assert.Equal(400 * Math.Log10(50.5 / 0.5), r[1] - r[0], 6);
    }

    [Fact]
    public void Bootstrap_interval_contains_the_estimate_and_narrows_with_more_games()
    {
        var small = new[] { new PairResult(0, 1, 15, 0, 5) };
        var large = new[] { new PairResult(0, 1, 150, 0, 50) };
        var (lo1, hi1, dlo1, dhi1) = EloFit.Bootstrap(2, small, new Rng(1), samples: 300, priorDraws: 0, anchor: 1);
        var (lo2, hi2, dlo2, dhi2) = EloFit.Bootstrap(2, large, new Rng(1), samples: 300, priorDraws: 0, anchor: 1);
        double d = 400 * Math.Log10(3);
        Assert.InRange(d, lo1[0], hi1[0]);
        Assert.InRange(d, dlo2[0, 1], dhi2[0, 1]);
        Assert.True(hi2[0] - lo2[0] < hi1[0] - lo1[0]);
        Assert.True(dlo2[0, 1] > 0); // 75% over 200 games: clearly above
        Assert.Equal(-dhi1[0, 1], dlo1[1, 0], 9);
    }

    [Fact]
    public void Colour_swapped_pairs_are_resampled_together()
    {
        // 10 openings × 2 colours: 7 unanimous wins (2–0) and 3 unanimous losses (0–2) for player 0 — the same 14–6
        // as 20 independent games, but only 10 independent units: the interval must be wider
        var unanimous = Enumerable.Repeat(new GameUnit(2, 0, 0), 7).Concat(Enumerable.Repeat(new GameUnit(0, 0, 2), 3)).ToList();
        double Width(PairResult pair)
        {
            var (lo, hi, _, _) = EloFit.Bootstrap(2, [pair], new Rng(3), samples: 400, priorDraws: 1, anchor: 1);
            return hi[0] - lo[0];
        }
        double games = Width(new PairResult(0, 1, 14, 0, 6));
        double units = Width(new PairResult(0, 1, 14, 0, 6, unanimous));
        Assert.True(units > 1.2 * games, $"unit bootstrap width {units:F1} vs game bootstrap {games:F1}");
        // every opening split 1–1 (each side wins with the first move): no spread at all between resamples
        Assert.Equal(0, Width(new PairResult(0, 1, 10, 0, 10, Enumerable.Repeat(new GameUnit(1, 0, 1), 10).ToList())), 9);
    }
}
