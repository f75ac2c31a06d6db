using System.Text.Json;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf game imitate|selfplay|elo|play</c> in-process, on the --quick path.</summary>
public sealed class GameTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-game-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public void Quick_pipeline_imitate_selfplay_elo_writes_everything()
    {
        var (code, stdout, err) = InProcessCli.Run("game", "imitate", "--out", P("im"), "--quick");
        Assert.True(code == 0, err);
        Assert.Contains("validation accuracy", stdout);
        Assert.True(File.Exists(P("im/expert_games.jsonl")));
        (code, stdout, err) = InProcessCli.Run("game", "selfplay", "--init", P("im"), "--out", P("sp"), "--quick");
        Assert.True(code == 0, err);
        (code, _, err) = InProcessCli.Run("game", "selfplay", "--out", P("sp"), "--resume", "--iterations", "4");
        Assert.True(code == 0, err);
        Assert.True(File.Exists(P("sp/snapshots/selfplay-i4.safetensors")));
        (code, stdout, err) = InProcessCli.Run("game", "elo", "--imitation", P("im"), "--selfplay", P("sp"), "--experts", "random,greedy", "--out", P("elo"), "--quick");
        Assert.True(code == 0, err);
        Assert.Contains("final self-play selfplay@i4 vs best expert greedy", stdout);
        foreach (var f in new[] { "elo.md", "elo.json", "games.jsonl", "rare_moves.jsonl", "game-elo.svg" }) Assert.True(File.Exists(P("elo/" + f)), f);
        using var doc = JsonDocument.Parse(File.ReadAllText(P("elo/elo.json")));
        Assert.Equal("random", doc.RootElement.GetProperty("ratings")[0].GetProperty("name").GetString());
        Assert.StartsWith("<svg", File.ReadAllText(P("elo/game-elo.svg")));
    }

    [Fact]
    public void Play_prints_games_and_the_score_and_bad_players_get_a_clear_error()
    {
        var (code, stdout, err) = InProcessCli.Run("game", "play", "--first", "ab1", "--second", "random", "--games", "2");
        Assert.True(code == 0, err);
        Assert.Contains("ab1 scored", stdout);
        (code, _, err) = InProcessCli.Run("game", "imitate", "--out", P("im"), "--quick");
        Assert.True(code == 0, err);
        (code, stdout, err) = InProcessCli.Run("game", "play", "--first", "mcts16:" + P("im"), "--second", P("im/model.safetensors"), "--games", "2");
        Assert.True(code == 0, err);
        Assert.Contains("mcts16 scored", stdout);
        (code, _, err) = InProcessCli.Run("game", "play", "--first", P("nope"), "--second", "random");
        Assert.Equal(1, code);
        Assert.Contains("nope: not a network file", err);
        (code, _, err) = InProcessCli.Run("game", "imitate", "--out", P("x"), "--expert", "minimax");
        Assert.NotEqual(0, code);
        Assert.Contains("--expert must be random, greedy, or ab1", err);
    }
}
