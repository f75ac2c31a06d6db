using System.Text.Json;
using Rlhf.Training.Data;

namespace Rlhf.Training.Tests;

public sealed class TokenDatasetTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>tokens[i] = i, so a window's start can be read off its first input.</summary>
    private static TokenDataset Iota(int n) => new(Enumerable.Range(0, n).ToArray());

    private static int[] Chars(string s) => s.Select(c => (int)c).ToArray();

    [Fact]
    public void FromTextFiles_AppendsEotAfterEachDocument_AndSplitsOnSeparator()
    {
        string a = _tmp.File("a.txt"), b = _tmp.File("b.txt");
        File.WriteAllText(a, "ab");
        File.WriteAllText(b, "x<|endoftext|>yz<|endoftext|>\n");
        const int eot = 1000;
        Assert.Equal([97, 98, eot, .. Chars("x<|endoftext|>yz<|endoftext|>\n"), eot],
            TokenDataset.FromTextFiles([a, b], Chars, eot).Tokens.ToArray());
        Assert.Equal([97, 98, eot, 120, eot, 121, 122, eot], // trailing "\n" document is whitespace-only: skipped
            TokenDataset.FromTextFiles([a, b], Chars, eot, "<|endoftext|>").Tokens.ToArray());
    }

    [Fact]
    public void Split_TakesTheTail_Deterministically()
    {
        var data = Iota(1000);
        var (train, val) = data.Split(0.1);
        Assert.Equal(900, train.Count);
        Assert.Equal(Enumerable.Range(900, 100), val.Tokens.ToArray());
        Assert.Equal(Enumerable.Range(0, 900), train.Tokens.ToArray());
        Assert.Equal(2, Iota(7).Split(0.15).Val.Count); // ⌈1.05⌉
        Assert.Equal(0, data.Split(0).Val.Count);
        Assert.Throws<ArgumentOutOfRangeException>(() => data.Split(1.0));
    }

    [Fact]
    public void Sampler_TargetsAreInputsShiftedByOne_AndWindowsStayInRange()
    {
        const int n = 20, t = 5, b = 4;
        var sampler = new PackedBatchSampler(Iota(n), b, t, seed: 3);
        var starts = new HashSet<int>();
        for (int i = 0; i < 250; i++)
        {
            var batch = sampler.Next();
            Assert.Equal((b, t), (batch.BatchSize, batch.SeqLen));
            for (int r = 0; r < b; r++)
            {
                int s = batch.Inputs[r * t];
                starts.Add(s);
                Assert.Equal(Enumerable.Range(s, t), batch.Inputs.AsSpan(r * t, t).ToArray());
                Assert.Equal(Enumerable.Range(s + 1, t), batch.Targets.AsSpan(r * t, t).ToArray());
            }
        }
        Assert.Equal(Enumerable.Range(0, n - t), starts.Order()); // every start 0..N−T−1 drawn, none past the end
        Assert.Equal(250, sampler.BatchesDrawn);
    }

    [Fact]
    public void Sampler_IsDeterministicPerSeed()
    {
        var data = Iota(5000);
        var a = new PackedBatchSampler(data, 3, 16, 42);
        var b = new PackedBatchSampler(data, 3, 16, 42);
        var c = new PackedBatchSampler(data, 3, 16, 43);
        var fromA = Enumerable.Range(0, 10).SelectMany(_ => a.Next().Inputs).ToArray();
        Assert.Equal(fromA, Enumerable.Range(0, 10).SelectMany(_ => b.Next().Inputs).ToArray());
        Assert.NotEqual(fromA, Enumerable.Range(0, 10).SelectMany(_ => c.Next().Inputs).ToArray());
    }

    [Fact]
    public void Sampler_StateThroughJson_ResumesWithIdenticalBatches()
    {
        var data = Iota(3000);
        var run = new PackedBatchSampler(data, 4, 32, 7);
        for (int i = 0; i < 3; i++) run.Next();
        string json = JsonSerializer.Serialize(run.GetState());
        var expected = Enumerable.Range(0, 5).Select(_ => run.Next()).ToList();

        var resumed = new PackedBatchSampler(data, 4, 32, seed: 999); // the seed is overridden by the state
        resumed.Restore(JsonSerializer.Deserialize<PackedSamplerState>(json)!);
        Assert.Equal(3, resumed.BatchesDrawn);
        var inputs = new int[4 * 32];
        var targets = new int[4 * 32];
        foreach (var e in expected)
        {
            resumed.Next(inputs, targets); // the span overload draws the same stream
            Assert.Equal(e.Inputs, inputs);
            Assert.Equal(e.Targets, targets);
        }
        Assert.Equal(run.BatchesDrawn, resumed.BatchesDrawn);
        Assert.Equal(run.GetState(), resumed.GetState());

        var state = run.GetState();
        Assert.Contains("B=4, T=32", Assert.Throws<ArgumentException>(() => new PackedBatchSampler(data, 4, 16, 1).Restore(state)).Message);
        Assert.Throws<ArgumentException>(() => new PackedBatchSampler(Iota(2999), 4, 32, 1).Restore(state));
        Assert.Throws<ArgumentException>(() => run.Next(new int[10], new int[4 * 32]));
        Assert.Throws<ArgumentException>(() => new PackedBatchSampler(Iota(32), 1, 32, 1)); // needs T + 1 tokens
    }

    [Fact]
    public void SequentialBatches_CoverTheTail_WithoutOverlap()
    {
        const int n = 103, t = 10;
        var data = Iota(n);
        Assert.Equal(10, data.WindowCount(t));
        var batches = data.SequentialBatches(4, t).ToList();
        Assert.Equal([4, 4, 2], batches.Select(x => x.BatchSize));
        var inputs = batches.SelectMany(x => x.Inputs).ToArray();
        var targets = batches.SelectMany(x => x.Targets).ToArray();
        // windows tile [2, 102) back to back (no overlap, no gap) and the last target is the last token
        Assert.Equal(Enumerable.Range(2, 100), inputs);
        Assert.Equal(Enumerable.Range(3, 100), targets);
        Assert.Equal(n - 1, targets[^1]);
        Assert.Equal(inputs, data.SequentialBatches(4, t).SelectMany(x => x.Inputs)); // repeatable

        var exact = Iota(21).SequentialBatches(8, 10).Single(); // (21 − 1) / 10 = 2 windows, nothing dropped
        Assert.Equal(Enumerable.Range(0, 20), exact.Inputs);
        Assert.Throws<ArgumentException>(() => Iota(10).SequentialBatches(1, 10));
    }
}
