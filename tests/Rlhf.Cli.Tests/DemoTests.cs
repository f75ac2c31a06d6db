using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Rlhf.Cli.Demo;
using Xunit;
using Rlhf.Cli.Demo.Report;
using Rlhf.Data.Metrics;

namespace Rlhf.Cli.Tests;

/// <summary>
/// <c>rlhf demo --quick</c> end to end (CI's smoke test of the whole loop): every stage runs and is recorded; a re-run
/// skips finished stages; the same seed reproduces every number; a demo killed mid-way resumes from the last finished
/// stage and ends with the same numbers as an uninterrupted one.
/// </summary>
public sealed partial class DemoTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-demo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static readonly string[] StageNames = ["data", "pretrain", "sft", "label", "rm", "ppo_kl", "ppo", "bon", "dpo", "grpo", "samples"];

    [Fact]
    public void Quick_RunsEveryStage_ReproducesWithTheSameSeed_AndResumesAfterAKill()
    {
        string a = P("a"), b = P("b"), c = P("c");

        // 1. one quick demo: every stage done, with its commands; the outputs each later stage needs exist
        var (code, output, error) = InProcessCli.Run("demo", "--quick", "--out", a);
        Assert.True(code == 0, error + output);
        var state = DemoState.Load(a)!;
        Assert.Equal(StageNames, state.Stages.Select(s => s.Name));
        Assert.All(state.Stages, s => Assert.Equal(DemoStage.Done, s.Status));
        Assert.All(state.Stages.Where(s => s.Name != "samples"), s => Assert.NotEmpty(s.Commands!));
        foreach (string file in new[] { "base/metrics.jsonl", "labels/rankings.jsonl", "labels/summary.json", "rm/member-0/metrics.jsonl",
                     "ppo-kl/metrics.jsonl", "ppo/metrics.jsonl", "ppo/guard.json", "bon/curve.json", "dpo/metrics.jsonl", "grpo/run/metrics.jsonl", "samples.json" })
            Assert.True(File.Exists(Path.Combine(a, file)), file);
        var samples = JsonNode.Parse(File.ReadAllText(Path.Combine(a, "samples.json")))!;
        Assert.Contains("SFT", samples["methods"]!.AsArray().Select(m => (string)m!["name"]!));
        string report = File.ReadAllText(Path.Combine(a, "report.html"));           // the report and the summary table, from the files
        Assert.True(Regex.Matches(report, "<svg").Count >= 5, "report.html should hold the plots");
        Assert.Contains("matched KL", output);
        Assert.Contains("held-out accuracy", output);

        // 2. a re-run skips every finished stage and changes nothing
        string ppoBefore = File.ReadAllText(Path.Combine(a, "ppo", "metrics.jsonl"));
        (code, output, error) = InProcessCli.Run("demo", "--quick", "--out", a);
        Assert.True(code == 0, error + output);
        Assert.Equal(StageNames.Length, Regex.Matches(output, "done earlier").Count);
        Assert.Equal(ppoBefore, File.ReadAllText(Path.Combine(a, "ppo", "metrics.jsonl")));

        // 3. the same seed in a fresh directory reproduces every number (timings aside)
        (code, output, error) = InProcessCli.Run("demo", "--quick", "--out", c);
        Assert.True(code == 0, error + output);
        AssertSameNumbers(a, c);

        // 4. killed during PPO: demo.json says ppo is unfinished and ppo/ holds a half-written run; the re-run clears it,
        //    keeps data..ppo_kl, redoes ppo and the rest, and ends where the uninterrupted demo ended
        CopyDirectory(a, b);
        var killed = DemoState.Load(b)!;
        killed.Stages.RemoveAll(s => Array.IndexOf(StageNames, s.Name) >= Array.IndexOf(StageNames, "ppo"));
        killed.Save(b);
        File.WriteAllText(Path.Combine(b, "ppo", "metrics.jsonl"), "{\"step\": 1, \"proxy_reward\": 99}\n{\"step\": 2, \"pro");
        string rmWeights = File.ReadAllText(Path.Combine(b, "rm", "member-0", "metrics.jsonl"));
        (code, output, error) = InProcessCli.Run("demo", "--quick", "--out", b);
        Assert.True(code == 0, error + output);
        Assert.Equal(6, Regex.Matches(output, "done earlier").Count); // data, pretrain, sft, label, rm, ppo_kl
        Assert.Equal(rmWeights, File.ReadAllText(Path.Combine(b, "rm", "member-0", "metrics.jsonl")));
        AssertSameNumbers(a, b);

        // 5. every stage's run directory resumes from its checkpoint alone: --resume --out <dir>, plus one more step
        AssertEveryStageResumesFromItsCheckpointAlone(c);
    }

    /// <summary>
    /// Each trainer run of a finished demo continues with only <c>--resume --out &lt;dir&gt;</c> and a step count one
    /// larger than the checkpoint's: models, data, guard and every other setting come from the checkpoint.
    /// </summary>
    private static void AssertEveryStageResumesFromItsCheckpointAlone(string demo)
    {
        (string Verb, string Dir, string StepsOption)[] runs =
        [
            ("pretrain", "base", "--steps"), ("sft", "sft", "--steps"), ("rm train", "rm", "--steps"), ("ppo", "ppo-kl", "--iterations"),
            ("ppo", "ppo", "--iterations"), ("dpo", "dpo", "--steps"), ("pretrain", "grpo/base", "--steps"), ("sft", "grpo/sft", "--steps"),
            ("grpo", "grpo/run", "--iterations"),
        ];
        foreach (var (verb, dir, stepsOption) in runs)
        {
            string run = Path.Combine(demo, dir);
            string checkpoint = Directory.Exists(Path.Combine(run, "checkpoint")) ? run : Path.Combine(run, "member-0");
            var state = JsonNode.Parse(File.ReadAllText(Path.Combine(checkpoint, "checkpoint", "trainer_state.json")))!;
            int done = (int)(state["step"] ?? state["iteration"])!;
            var (code, output, error) = InProcessCli.Run([.. verb.Split(' '), "--resume", "--out", run, stepsOption, (done + 1).ToString()]);
            Assert.True(code == 0, $"{verb} --resume --out {dir}: exit {code}\n{error}\n{output}");
            Assert.Equal(done + 1, MetricsReader.Read(Path.Combine(checkpoint, "metrics.jsonl")).Max(e => e.Step));
        }
    }

    [Fact]
    public void BadSettingsAndAForeignDirectory_AreClearErrors()
    {
        var (code, _, error) = InProcessCli.Run("demo", "--quick", "--out", P("x"), "--set", "NoSuchSetting=1");
        Assert.NotEqual(0, code);
        Assert.Contains("no setting 'NoSuchSetting'", error);
        (code, _, error) = InProcessCli.Run("demo", "--quick", "--out", P("y"), "--set", "PpoIterations=many");
        Assert.NotEqual(0, code);
        Assert.Contains("PpoIterations", error);

        // a directory holding a demo with another seed is not silently mixed with this one
        new DemoState(7, true, []).Save(Directory.CreateDirectory(P("z")).FullName);
        (code, _, error) = InProcessCli.Run("demo", "--quick", "--out", P("z"));
        Assert.NotEqual(0, code);
        Assert.Contains("seed 7", error);
        Assert.Contains("--restart", error);
    }

    [Fact]
    public void SettingsOverride_ChangesOnlyTheNamedSetting()
    {
        var s = DemoSettings.Full.With(["PpoIterations=7", "labeltemperature = 0.5"]);
        Assert.Equal(7, s.PpoIterations);
        Assert.Equal(0.5, s.LabelTemperature);
        Assert.Equal(DemoSettings.Full with { PpoIterations = 7, LabelTemperature = 0.5 }, s);
        Assert.Equal(100, DemoSettings.Full.PpoIterations); // the preset itself is untouched
    }

    /// <summary>Every JSON/JSONL file and every weight file of <paramref name="x"/> equals <paramref name="y"/>'s, wall-clock fields and paths aside.</summary>
    private void AssertSameNumbers(string x, string y)
    {
        int compared = 0;
        foreach (string path in Directory.EnumerateFiles(x, "*", SearchOption.AllDirectories))
        {
            string other = Path.Combine(y, Path.GetRelativePath(x, path));
            if (path.EndsWith(".json", StringComparison.Ordinal) || path.EndsWith(".jsonl", StringComparison.Ordinal))
            {
                Assert.Equal(Normalise(File.ReadAllText(path)), Normalise(File.ReadAllText(other)));
                compared++;
            }
            else if (path.EndsWith(".safetensors", StringComparison.Ordinal))
            {
                Assert.True(File.ReadAllBytes(path).AsSpan().SequenceEqual(File.ReadAllBytes(other)), path);
                compared++;
            }
        }
        Assert.True(compared > 30, $"only {compared} files compared");
    }

    /// <summary>The text with this test's demo directories (a copied demo's commands still name the original) and wall-clock fields removed.</summary>
    private string Normalise(string text) => WallClock().Replace(DemoRoot().Replace(text.Replace(_dir, "<tmp>", StringComparison.Ordinal), "<out>"), "");

    [GeneratedRegex("<tmp>/[abc]")]
    private static partial Regex DemoRoot();

    [GeneratedRegex("\"(time_[a-z_]*|tokens_per_s|seconds|elapsed[a-z_]*)\": ?[-0-9.eE+]+,?")]
    private static partial Regex WallClock();

    private static void CopyDirectory(string from, string to)
    {
        foreach (string dir in Directory.EnumerateDirectories(from, "*", SearchOption.AllDirectories))
            Directory.CreateDirectory(Path.Combine(to, Path.GetRelativePath(from, dir)));
        Directory.CreateDirectory(to);
        foreach (string file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
            File.Copy(file, Path.Combine(to, Path.GetRelativePath(from, file)));
    }
}
