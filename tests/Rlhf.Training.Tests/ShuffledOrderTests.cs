using System.Text.Json;
using Rlhf.Tensors;
using Rlhf.Training.Data;

namespace Rlhf.Training.Tests;

/// <summary>
/// <see cref="ShuffledOrder"/>, the one shuffled-epoch order of SFT, RM, DPO (<see cref="ShuffledOrder.NextBatch"/>, own
/// generator), GRPO (<see cref="ShuffledOrder.Next"/>, own generator) and PPO (<see cref="ShuffledOrder.Next"/>, the
/// run's shared generator). The sequences are pinned against a replay written here with <see cref="Rng.Shuffle{T}"/>
/// directly, so a change of the sequence a trainer sees fails (the golden-output tests pin it end to end too).
/// </summary>
public class ShuffledOrderTests
{
    /// <summary>Epoch permutations as drawn one after the other from <paramref name="rng"/>: 0..n−1 shuffled in place.</summary>
    private static int[] Permutation(Rng rng, int n)
    {
        var p = Enumerable.Range(0, n).ToArray();
        rng.Shuffle(p.AsSpan());
        return p;
    }

    [Fact]
    public void NextBatch_StopsAtTheEpochEnd_EachEpochAFreshPermutation()
    {
        var order = new ShuffledOrder(10, seed: 1);
        Assert.Equal(3, order.BatchesPerEpoch(4));
        var replay = new Rng(1);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var batches = Enumerable.Range(0, 3).Select(_ => order.NextBatch(4).ToArray()).ToList();
            Assert.Equal([4, 4, 2], batches.Select(b => b.Length));
            Assert.Equal(epoch, order.Epoch);
            Assert.Equal(10, order.Position);
            Assert.Equal(Permutation(replay, 10), batches.SelectMany(b => b));
        }
        var first = new ShuffledOrder(10, seed: 1);
        Assert.NotEqual(first.NextBatch(10).ToArray(), first.NextBatch(10).ToArray()); // epochs differ
    }

    [Fact]
    public void Next_CompletesABatchFromTheNextEpoch()
    {
        var order = new ShuffledOrder(5, seed: 3);
        var replay = new Rng(3);
        int[] expected = [.. Permutation(replay, 5), .. Permutation(replay, 5), .. Permutation(replay, 5)];
        int[] got = [.. order.Next(3), .. order.Next(3), .. order.Next(3), .. order.Next(3), .. order.Next(3)];
        Assert.Equal(expected, got);
        Assert.Equal(2, order.Epoch);
        Assert.Equal(5, order.Position);
        Assert.Empty(order.Next(0));
    }

    [Fact]
    public void SharedGenerator_DrawsEachNewEpochWhenItStarts_InterleavedWithTheRunsOtherDraws()
    {
        var rng = new Rng(9);
        var order = new ShuffledOrder(4, rng);
        var got = new List<int>();
        for (int i = 0; i < 3; i++) { got.AddRange(order.Next(3)); rng.NextUInt64(); } // e.g. sampling between batches

        var replay = new Rng(9);
        var p0 = Permutation(replay, 4);
        replay.NextUInt64();
        var p1 = Permutation(replay, 4); // drawn when the second batch runs past p0, after the run's draw in between
        replay.NextUInt64();
        var p2 = Permutation(replay, 4);
        replay.NextUInt64();
        Assert.Equal([p0[0], p0[1], p0[2], p0[3], p1[0], p1[1], p1[2], p1[3], p2[0]], got);
        Assert.Equal(replay.GetState(), rng.GetState()); // the order drew from the shared generator exactly then
    }

    [Theory]
    [InlineData(2)]   // mid-epoch
    [InlineData(3)]   // exactly at an epoch end
    [InlineData(4)]
    public void OwnGenerator_StateThroughJson_ResumesExactly(int drawnBefore)
    {
        foreach (bool batches in new[] { true, false })
        {
            int[] Draw(ShuffledOrder o) => batches ? o.NextBatch(4).ToArray() : o.Next(4);
            var run = new ShuffledOrder(10, seed: 5);
            for (int i = 0; i < drawnBefore; i++) Draw(run);
            string json = JsonSerializer.Serialize(run.GetState());
            var expected = Enumerable.Range(0, 7).Select(_ => Draw(run)).ToList(); // crosses epoch boundaries

            var resumed = new ShuffledOrder(10, seed: 77);
            resumed.Restore(JsonSerializer.Deserialize<ShuffledOrderState>(json)!);
            Assert.Equal(expected, Enumerable.Range(0, 7).Select(_ => Draw(resumed)));
            Assert.Equal(run.GetState(), resumed.GetState());
            Assert.Null(run.GetState().Order); // constant-size state: the permutation is re-drawn
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]   // exactly at an epoch end
    [InlineData(5)]
    public void SharedGenerator_StateThroughJson_WithTheRunsGenerator_ResumesExactly(int drawnBefore)
    {
        var rng = new Rng(11);
        var run = new ShuffledOrder(6, rng);
        for (int i = 0; i < drawnBefore; i++) { run.Next(3); rng.NextFloat(); }
        string json = JsonSerializer.Serialize(run.GetState()), rngJson = JsonSerializer.Serialize(rng.GetState());
        var expected = Enumerable.Range(0, 6).Select(_ => { var b = run.Next(3); rng.NextFloat(); return b; }).ToList();

        var rng2 = new Rng(123);
        var resumed = new ShuffledOrder(6, rng2);
        rng2.SetState(JsonSerializer.Deserialize<RngState>(rngJson)!);
        resumed.Restore(JsonSerializer.Deserialize<ShuffledOrderState>(json)!);
        Assert.Equal(expected, Enumerable.Range(0, 6).Select(_ => { var b = resumed.Next(3); rng2.NextFloat(); return b; }));
        Assert.Equal(rng.GetState(), rng2.GetState());
        Assert.Equal(run.GetState().Order, resumed.GetState().Order);
        Assert.Null(run.GetState().EpochStartRng);
    }

    [Fact]
    public void Restore_RefusesAnotherCount_TheOtherGeneratorKind_AndBadValues()
    {
        var own = new ShuffledOrder(10, seed: 1);
        var shared = new ShuffledOrder(10, new Rng(1));
        own.Next(3);
        shared.Next(3);
        Assert.Throws<ArgumentException>(() => new ShuffledOrder(9, seed: 1).Restore(own.GetState()));
        Assert.Throws<ArgumentException>(() => new ShuffledOrder(9, new Rng(1)).Restore(shared.GetState()));
        Assert.Throws<ArgumentException>(() => new ShuffledOrder(10, seed: 1).Restore(shared.GetState()));
        Assert.Throws<ArgumentException>(() => new ShuffledOrder(10, new Rng(1)).Restore(own.GetState()));
        Assert.Throws<ArgumentException>(() => own.Restore(own.GetState() with { Position = 11 }));
        Assert.Throws<ArgumentException>(() => own.Restore(own.GetState() with { Epoch = -1 }));
        Assert.Throws<ArgumentException>(() => shared.Restore(shared.GetState() with { Order = [.. Enumerable.Repeat(0, 10)] }));
        Assert.Throws<ArgumentOutOfRangeException>(() => new ShuffledOrder(0, seed: 1));
        Assert.Throws<ArgumentOutOfRangeException>(() => own.NextBatch(0));
        Assert.Throws<ArgumentNullException>(() => new ShuffledOrder(3, (Rng)null!));
    }
}
