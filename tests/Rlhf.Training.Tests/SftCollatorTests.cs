using System.Text.Json;
using Rlhf.Tensors;
using Rlhf.Training.Data;
using Rlhf.Data;

namespace Rlhf.Training.Tests;

public sealed class SftCollatorTests
{
    private const int Eot = 99, Pad = 0, Ig = SftCollator.IgnoreIndex;

    private static TokenizedSft Ex(int[] prompt, int[] response, string? source = null) => new(prompt, response, source);

    [Fact]
    public void Collate_MasksExactlyResponseAndEot_RightPadsToLongestRow()
    {
        var c = new SftCollator(maxLength: 8, Eot, Pad);
        var batch = c.Collate([Ex([11, 12, 13], [21, 22]), Ex([14], [23, 24])]);
        Assert.Equal((2, 5), (batch.BatchSize, batch.SeqLen));
        Assert.Equal([11, 12, 13, 21, 22, /**/ 14, 23, 24, Pad, Pad], batch.Inputs);
        Assert.Equal([Ig, Ig, 21, 22, Eot, /**/ 23, 24, Eot, Ig, Ig], batch.Targets);
        Assert.Equal([0f, 0, 1, 1, 1, /**/ 1, 1, 1, 0, 0], batch.LossMask);
        Assert.Equal(6, batch.LossTokens);
        Assert.Equal(8, batch.RealTokens);

        var fixedLen = new SftCollator(8, Eot, Pad, padToMaxLength: true).Collate([Ex([14], [23, 24])]);
        Assert.Equal(8, fixedLen.SeqLen);
        Assert.Equal([23, 24, Eot, Ig, Ig, Ig, Ig, Ig], fixedLen.Targets);
    }

    [Fact]
    public void Collate_RandomExamples_LossPositionsAreExactlyTheResponse()
    {
        var rng = new Rng(11);
        var c = new SftCollator(40, Eot, Pad);
        var examples = Enumerable.Range(0, 9).Select(_ => Ex(
            Enumerable.Range(0, 1 + rng.NextInt(15)).Select(_ => 100 + rng.NextInt(50)).ToArray(),
            Enumerable.Range(0, 1 + rng.NextInt(20)).Select(_ => 200 + rng.NextInt(50)).ToArray())).ToList();
        var batch = c.Collate(examples);
        int t = batch.SeqLen;
        Assert.Equal(examples.Max(e => e.PromptIds.Length + e.ResponseIds.Length), t);
        for (int row = 0; row < examples.Count; row++)
        {
            var (p, r) = (examples[row].PromptIds, examples[row].ResponseIds);
            int[] seq = [.. p, .. r, Eot];
            for (int j = 0; j < t; j++)
            {
                int i = row * t + j;
                bool loss = j >= p.Length - 1 && j < p.Length + r.Length;
                Assert.Equal(j < p.Length + r.Length ? seq[j] : Pad, batch.Inputs[i]);
                Assert.Equal(loss ? seq[j + 1] : Ig, batch.Targets[i]);
                Assert.Equal(loss ? 1f : 0f, batch.LossMask[i]);
            }
        }
        Assert.Equal(examples.Sum(e => e.ResponseIds.Length + 1), batch.LossTokens);
    }

    [Fact]
    public void Fit_TruncatesPromptFromTheLeft_NeverTheResponse()
    {
        var c = new SftCollator(maxLength: 6, Eot, Pad);
        var kept = c.Fit([
            Ex([1, 2, 3, 4, 5], [7, 8, 9]),         // 8 > 6: prompt keeps its last 3 tokens
            Ex([1, 2], [7, 8, 9, 10]),              // 6: fits untouched
            Ex([1, 2, 3], [7, 8, 9, 10, 11]),       // response 5 + 1 prompt token = 6: prompt cut to [3]
            Ex([1, 2], [7, 8, 9, 10, 11, 12], "sft.jsonl:4"), // response alone fills T: skipped
        ], out var report);
        Assert.Equal(3, kept.Count);
        Assert.Equal([3, 4, 5], kept[0].PromptIds);
        Assert.Equal([7, 8, 9], kept[0].ResponseIds);
        Assert.Equal([1, 2], kept[1].PromptIds);
        Assert.Equal([3], kept[2].PromptIds);
        Assert.Equal([7, 8, 9, 10, 11], kept[2].ResponseIds);
        Assert.Equal(new SftFitReport(4, 3, 2, 4, 1, 6), report);
        Assert.Contains("kept 3/4", report.ToString());

        var batch = c.Collate(kept);
        Assert.Equal(6, batch.SeqLen);
        Assert.Equal([3, 7, 8, 9, 10, 11], batch.Inputs[12..]);
        Assert.Equal([7, 8, 9, 10, 11, Eot], batch.Targets[12..]);

        var strict = new SftCollator(6, Eot, Pad, SftOverlongPolicy.Throw);
        var e = Assert.Throws<DataFormatException>(() => strict.Fit([Ex([1], [2]), Ex([1, 2], [7, 8, 9, 10, 11, 12], "sft.jsonl:4")], out _));
        Assert.StartsWith("sft.jsonl:4: response has 6 tokens", e.Message);
    }

    [Fact]
    public void Fit_MinPromptTokens_AndEmptyParts()
    {
        var c = new SftCollator(6, Eot, Pad, minPromptTokens: 3);
        var kept = c.Fit([Ex(new int[10], [1, 2, 3, 4]), Ex([5, 6], [1, 2, 3, 4]), Ex(new int[10], [1, 2, 3])], out var report);
        Assert.Equal(2, kept.Count);                   // the first needs 4 + 3 > 6: skipped
        Assert.Equal([5, 6], kept[0].PromptIds);       // short prompt fits as is
        Assert.Equal(3, kept[1].PromptIds.Length);     // cut to 6 − 3
        Assert.Equal((1, 1), (report.SkippedResponseTooLong, report.PromptTruncated));

        Assert.Contains("prompt has no tokens", Assert.Throws<DataFormatException>(() => c.Fit([Ex([], [1])], out _)).Message);
        Assert.Contains("response has no tokens", Assert.Throws<DataFormatException>(() => c.Fit([Ex([1], [])], out _)).Message);
        Assert.Throws<ArgumentException>(() => c.Collate([Ex([1, 2, 3, 4], [5, 6, 7])])); // not fitted
    }

    private static List<TokenizedSft> Numbered(int n) =>
        Enumerable.Range(0, n).Select(i => Ex([1000 + i], [i % 7 + 1, 2], $"ex{i}")).ToList();

    [Fact]
    public void Sampler_EpochsVisitEveryExampleOnce_InNewOrders()
    {
        var s = new SftBatchSampler(Numbered(10), new SftCollator(8, Eot, Pad), batchSize: 4, seed: 1);
        Assert.Equal(3, s.BatchesPerEpoch);
        var orders = new List<int[]>();
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var batches = Enumerable.Range(0, 3).Select(_ => s.Next()).ToList();
            Assert.Equal([4, 4, 2], batches.Select(b => b.BatchSize));
            Assert.All(batches, b => Assert.Equal(epoch, b.Epoch));
            var order = batches.SelectMany(b => Enumerable.Range(0, b.BatchSize).Select(r => b.Inputs[r * b.SeqLen] - 1000)).ToArray();
            Assert.Equal(Enumerable.Range(0, 10), order.Order());
            orders.Add(order);
        }
        Assert.NotEqual(orders[0], orders[1]);
        Assert.NotEqual(orders[1], orders[2]);
    }

    [Theory]
    [InlineData(2)]   // mid-epoch
    [InlineData(3)]   // exactly at an epoch end
    [InlineData(4)]
    public void Sampler_StateThroughJson_ResumesWithIdenticalBatches(int drawnBefore)
    {
        var collator = new SftCollator(8, Eot, Pad);
        var run = new SftBatchSampler(Numbered(10), collator, 4, seed: 5);
        for (int i = 0; i < drawnBefore; i++) run.Next();
        string json = JsonSerializer.Serialize(run.GetState());
        var expected = Enumerable.Range(0, 7).Select(_ => run.Next()).ToList(); // crosses epoch boundaries

        var resumed = new SftBatchSampler(Numbered(10), collator, 4, seed: 77);
        resumed.Restore(JsonSerializer.Deserialize<SftSamplerState>(json)!);
        foreach (var e in expected)
        {
            var b = resumed.Next();
            Assert.Equal(e.Inputs, b.Inputs);
            Assert.Equal(e.Targets, b.Targets);
            Assert.Equal(e.Epoch, b.Epoch);
        }
        Assert.Equal(run.GetState(), resumed.GetState());
        Assert.Throws<ArgumentException>(() => new SftBatchSampler(Numbered(9), collator, 4, 1).Restore(run.GetState()));
        Assert.Throws<ArgumentException>(() => new SftBatchSampler(Numbered(3), new SftCollator(2, Eot, Pad), 4, 1)); // nothing fits
    }
}
