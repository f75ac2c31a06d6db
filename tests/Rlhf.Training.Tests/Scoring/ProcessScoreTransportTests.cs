using Rlhf.Training.Scoring;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Tests.Scoring;

/// <summary>A <c>cmd:</c> scorer: one program kept alive across batches, restarted after a timeout, garbage or an exit.</summary>
public sealed class ProcessScoreTransportTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string Script(string name, string body)
    {
        string path = _tmp.File(name);
        File.WriteAllText(path, body);
        return path;
    }

    private static readonly RewardRequest[] Two = [new("p", "a great movie"), new("p", "bad")];
    private static readonly ExternalScorerPolicy Fast = new(TimeSpan.FromSeconds(20), 1, TimeSpan.Zero);

    [Fact]
    public void The_example_program_scores_batches_and_stays_alive()
    {
        string example = Path.Combine(RepoRoot(), "examples", "external-reward", "score_cmd.py");
        var transport = new ProcessScoreTransport("/usr/bin/python3", [example]);
        using var reward = new ExternalReward(transport, Fast);
        Assert.Equal([1f, -1f], reward.Score(Two).Select(o => o.Reward));
        Assert.Equal([-1f], reward.Score([new RewardRequest("p", "awful")]).Select(o => o.Reward));
        Assert.Equal(1, transport.Starts);
    }

    [Fact]
    public void Garbage_then_a_good_answer_after_a_restart()
    {
        // the first run of the program answers garbage; a restarted one answers properly
        string flag = _tmp.File("started-once");
        string script = Script("flaky.sh", $"if [ -e '{flag}' ]; then while read l; do echo '[0.5, 0.25]'; done; else touch '{flag}'; while read l; do echo 'oops'; done; fi\n");
        var transport = new ProcessScoreTransport("/bin/sh", [script]);
        using var reward = new ExternalReward(transport, Fast, _ => { });
        Assert.Equal([0.5f, 0.25f], reward.Score(Two).Select(o => o.Reward));
        Assert.Equal((2, 1), (transport.Starts, reward.FailedAttempts));
    }

    [Fact]
    public void A_program_that_hangs_times_out_and_the_batch_is_given_up()
    {
        string script = Script("hang.sh", "while read l; do sleep 600; done\n");
        var transport = new ProcessScoreTransport("/bin/sh", [script]);
        using var reward = new ExternalReward(transport, new ExternalScorerPolicy(TimeSpan.FromSeconds(1), 1, TimeSpan.Zero), _ => { });
        var outcomes = reward.Score(Two);
        Assert.All(outcomes, o => Assert.True(float.IsNaN(o.Reward)));
        Assert.Contains("no reply within 1 s", outcomes[0].Note);
        Assert.Equal(2, transport.Starts);
    }

    [Fact]
    public void A_program_that_exits_is_reported_with_its_last_error_line()
    {
        string script = Script("die.sh", "read l; echo 'scorer: model file missing' >&2; exit 3\n");
        using var reward = new ExternalReward(new ProcessScoreTransport("/bin/sh", [script]), new ExternalScorerPolicy(TimeSpan.FromSeconds(20), 0, TimeSpan.Zero));
        var outcome = reward.Score(Two)[0];
        Assert.True(float.IsNaN(outcome.Reward));
        Assert.Contains("closed its output", outcome.Note);
    }

    [Fact]
    public void A_missing_program_is_a_clear_failure()
    {
        using var reward = new ExternalReward(new ProcessScoreTransport("/no/such/scorer", []), new ExternalScorerPolicy(TimeSpan.FromSeconds(5), 0, TimeSpan.Zero));
        Assert.Contains("cannot start '/no/such/scorer'", reward.Score(Two)[0].Note);
    }

    private static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Rlhf.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException("repository root (Rlhf.slnx) not found above " + AppContext.BaseDirectory);
    }
}
