using Rlhf.Training.Data;
using Rlhf.Data;
using Rlhf.Data.Metrics;

namespace Rlhf.Training.Tests;

public sealed class MetricsTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static string ReadShared(string path)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
        return new StreamReader(fs).ReadToEnd();
    }

    [Fact]
    public void Write_OneFlushedLinePerCall_RoundTripsIncludingNonFinite()
    {
        string path = _tmp.File("metrics.jsonl");
        using (var w = MetricsWriter.Create(path))
        {
            w.Write(1, ("loss", 2.5), ("lr", 3e-4));
            Assert.Equal("{\"step\":1,\"loss\":2.5,\"lr\":0.0003}\n", ReadShared(path)); // visible before dispose
            w.Write(2, new Dictionary<string, double> { ["loss"] = double.NaN, ["grad_norm"] = double.PositiveInfinity, ["x"] = double.NegativeInfinity });
            w.Write(2, ("val_loss", 0.1 + 0.2)); // same step twice is fine (train + eval)
        }
        Assert.Equal(3, File.ReadAllText(path).Count(c => c == '\n'));
        var entries = MetricsReader.Read(path);
        Assert.Equal([1, 2, 2], entries.Select(e => e.Step));
        Assert.Equal(["loss", "lr"], entries[0].Values.Keys);
        Assert.Equal(double.NaN, entries[1].Get("loss"));
        Assert.Equal(double.PositiveInfinity, entries[1].Get("grad_norm"));
        Assert.Equal(double.NegativeInfinity, entries[1].Get("x"));
        Assert.Equal(0.1 + 0.2, entries[2].Get("val_loss")); // round-trip exact
        Assert.Null(entries[2].Get("loss"));
        Assert.Equal([(1, 2.5), (2, double.NaN)], MetricsReader.Series(entries, "loss"));
    }

    [Fact]
    public void Write_RejectsDecreasingSteps_AndBadNames()
    {
        using var w = MetricsWriter.Create(_tmp.File("m.jsonl"));
        w.Write(5, ("loss", 1));
        Assert.Throws<ArgumentException>(() => w.Write(4, ("loss", 1)));
        Assert.Throws<ArgumentException>(() => w.Write(6, ("step", 1)));
        Assert.Throws<ArgumentException>(() => w.Write(6, ("", 1)));
        Assert.Throws<ArgumentException>(() => w.Write(6, ("a", 1), ("a", 2)));
    }

    [Fact]
    public void Resume_DropsLaterStepsAndTornLine_KeepsEarlierLinesVerbatim()
    {
        string path = _tmp.File("metrics.jsonl");
        using (var w = MetricsWriter.Create(path))
            for (int s = 1; s <= 10; s++) w.Write(s, ("loss", 1.0 / s));
        string[] original = File.ReadAllLines(path);
        File.AppendAllText(path, "{\"step\":11,\"lo"); // crash mid-write

        using (var w = MetricsWriter.Resume(path, resumedStep: 6))
        {
            Assert.Equal(5, w.DroppedOnResume); // steps 7..10 and the torn line
            Assert.Equal(original[..6], File.ReadAllLines(path));
            Assert.Throws<ArgumentException>(() => w.Write(5, ("loss", 0)));
            w.Write(7, ("loss", 0.25));
        }
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], MetricsReader.Read(path).Select(e => e.Step));
        Assert.Equal(0.25, MetricsReader.Read(path)[^1].Get("loss"));

        byte[] before = File.ReadAllBytes(path);
        using (var w = MetricsWriter.Resume(path, 100)) Assert.Equal(0, w.DroppedOnResume);
        Assert.Equal(before, File.ReadAllBytes(path)); // nothing to drop: untouched

        using (var w = MetricsWriter.Resume(_tmp.File("new.jsonl"), 3)) w.Write(4, ("loss", 1));
        Assert.Equal([4], MetricsReader.Read(_tmp.File("new.jsonl")).Select(e => e.Step));
    }

    [Fact]
    public void Reader_TornLastLineIgnored_MalformedMiddleLineThrowsWithLine()
    {
        string torn = _tmp.File("torn.jsonl");
        File.WriteAllText(torn, "{\"step\":1,\"loss\":2}\n{\"step\":2,\"lo");
        Assert.Equal([1], MetricsReader.Read(torn).Select(e => e.Step));

        string bad = _tmp.File("bad.jsonl");
        File.WriteAllText(bad, "{\"step\":1,\"loss\":2}\n{\"step\":2,\"lo\n{\"step\":3}\n");
        Assert.StartsWith($"{bad}:2: expected a JSON object", Assert.Throws<DataFormatException>(() => MetricsReader.Read(bad)).Message);

        string types = _tmp.File("types.jsonl");
        File.WriteAllText(types, "{\"step\":1,\"loss\":\"high\"}\n");
        Assert.Equal($"{types}:1: field 'loss' is a string; expected a number or \"NaN\"/\"Infinity\"/\"-Infinity\"",
            Assert.Throws<DataFormatException>(() => MetricsReader.Read(types)).Message);
        File.WriteAllText(types, "{\"loss\":1}\n");
        Assert.Contains("missing required field 'step'", Assert.Throws<DataFormatException>(() => MetricsReader.Read(types)).Message);
        Assert.Throws<DataFormatException>(() => MetricsWriter.Resume(bad, 1));
    }
}
