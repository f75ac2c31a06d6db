using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Data.Preferences;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf label add-labeler|enqueue|status|import|export</c> in-process (the server itself is tested in Rlhf.Feedback.Tests).</summary>
public sealed class LabelAppTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-labelapp-").FullName;

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }

    private string PathOf(string name) => Path.Combine(_dir, name);

    private string Write(string name, params string[] lines)
    {
        File.WriteAllText(PathOf(name), string.Join("\n", lines) + "\n");
        return PathOf(name);
    }

    private static string Ok(params string[] args)
    {
        var (code, stdout, error) = InProcessCli.Run(args);
        Assert.True(code == 0, $"rlhf {string.Join(' ', args)} failed: {error}");
        return stdout;
    }

    [Fact]
    public async Task Simulate_Server_LabelsWhatTheAppHandsOut_CarefullyByGold_UntilIdle()
    {
        var store = Rlhf.Feedback.Storage.FeedbackStore.Open(PathOf("sim.db"));
        string token = store.AddLabeler("sim-careful").Token;
        store.Enqueue([new CompletionGroup("the day", ["a bad and sad day", "a good day", "a day"]), new CompletionGroup("the cat", ["the cat is cold", "the cat is warm and happy"])], "test");
        await using var server = await Rlhf.Feedback.Web.FeedbackServer.StartAsync(store, new() { Port = 0, RateLimitPerMinute = 0, ErrorLog = TextWriter.Null });
        string url = server.Address.AbsoluteUri;
        var (missing, _, missingError) = InProcessCli.Run("label", "simulate", "--server", url);
        Assert.Equal(1, missing);
        Assert.Contains("--server needs --token", missingError);

        string output = await Task.Run(() => Ok("label", "simulate", "--server", url, "--token", token, "--behaviour", "careful", "--idle-exit", "0.5"));
        Assert.Contains("2 labels submitted", output);
        var labels = store.Labels();
        Assert.Equal([[1, 2, 0], [1, 0]], labels.OrderBy(l => l.Task.Id).Select(l => l.Ranking.ToArray())); // by the lexicon, best first
        Assert.All(labels, l => Assert.Equal("sim-careful", l.Labeler));
    }

    [Fact]
    public void AddLabeler_Enqueue_Import_Status_Export_RoundTrip()
    {
        string db = PathOf("labels.db");
        string added = Ok("label", "add-labeler", "--db", db, "--name", "alice", "--admin", "--url", "http://127.0.0.1:5077");
        Assert.Matches(@"link:    http://127\.0\.0\.1:5077/#token=[A-Za-z0-9_-]{43}", added);

        string groups = Write("groups.jsonl",
            """{"prompt": "How was it?", "completions": ["bad", "a great lovely day", "good"]}""",
            """{"prompt": "And today?", "completions": ["a good day", "an awful terrible day"]}""");
        Assert.Contains("added 2 tasks (0 already there); 2 tasks", Ok("label", "enqueue", "--db", db, "--completions", groups));
        Assert.Contains("added 0 tasks (2 already there); 2 tasks", Ok("label", "enqueue", "--db", db, "--completions", groups));

        // rankings made elsewhere (simulated labelers) come in as labels of a named labeler, matched to the same tasks
        string simulated = PathOf("simulated.jsonl");
        Ok("label", "simulate", "--input", groups, "--out", simulated, "--temperature", "0");
        Assert.Contains("imported 2 labels (0 already there", Ok("label", "import", "--db", db, "--in", simulated, "--labeler", "sim"));
        Assert.Contains("imported 0 labels (2 already there", Ok("label", "import", "--db", db, "--in", simulated, "--labeler", "sim"));

        string status = Ok("label", "status", "--db", db);
        Assert.Contains("2 / 2 / 0", status);
        Assert.Contains("sim", status);

        string exported = PathOf("rankings.jsonl"), pairs = PathOf("pairs.jsonl");
        Assert.Contains("wrote 2 ranked records", Ok("label", "export", "--db", db, "--out", exported));
        Assert.Equal(File.ReadAllText(simulated).Replace("]}", "],\"labeler\":\"sim\"}", StringComparison.Ordinal), File.ReadAllText(exported)); // the records, now with who labeled them
        Assert.Contains("wrote 4 pairwise records", Ok("label", "export", "--db", db, "--out", pairs, "--pairwise"));
        Assert.Equal(PreferenceFormat.Pairwise, PreferenceData.Load(pairs).Format);
    }

    [Fact]
    public void Enqueue_FromAModel_SamplesUpToKDistinctCompletionsPerPrompt()
    {
        string model = PathOf("model");
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("hello world, the cat sat. ", 20)), 270);
        HfCheckpoint.Save(model, new Gpt(new GptConfig(1, 2, 16, 32, tok.VocabSize), seed: 2), eosTokenId: tok.EndOfTextId);
        tok.Save(model);
        string prompts = Write("prompts.jsonl", """{"prompt": "hello"}""", """{"prompt": "the cat"}""");
        string db = PathOf("sampled.db");
        string output = Ok("label", "enqueue", "--db", db, "--model", model, "--prompts", prompts, "--k", "3", "--max-new-tokens", "6", "--seed", "5");
        Assert.Contains("added 2 tasks", output);
        string exported = PathOf("none.jsonl");
        Assert.Contains("wrote 0 ranked records", Ok("label", "export", "--db", db, "--out", exported)); // tasks, no labels yet
    }

    [Fact]
    public void RevokeLabeler_ThenRotateToken_ReplacesTheToken()
    {
        string db = PathOf("tokens.db");
        Ok("label", "add-labeler", "--db", db, "--name", "ann");
        Assert.Contains("revoked ann; released 0 task lease(s)", Ok("label", "revoke-labeler", "--db", db, "--name", "ann"));
        string rotated = Ok("label", "rotate-token", "--db", db, "--name", "ann", "--url", "https://labels.example.org/");
        Assert.Matches(@"link:    https://labels\.example\.org/#token=[A-Za-z0-9_-]{43}", rotated);
        string token = rotated.Split('\n')[0]["token:   ".Length..].Trim();
        Assert.Equal("ann", Rlhf.Feedback.Storage.FeedbackStore.Open(db).Authenticate(token).Name);
        var (code, _, error) = InProcessCli.Run(["label", "revoke-labeler", "--db", db, "--name", "nobody"]);
        Assert.NotEqual(0, code);
        Assert.Contains("no labeler named 'nobody'", error);
    }

    [Theory]
    [InlineData("refusing to listen on 0.0.0.0 without an admin labeler", "label", "serve", "--db", "{dir}/x.db", "--host", "0.0.0.0", "--port", "0")]
    [InlineData("give either --completions", "label", "enqueue", "--db", "{dir}/x.db")]
    [InlineData("--k must be between 2 and 9", "label", "enqueue", "--db", "{dir}/x.db", "--completions", "{dir}/g.jsonl", "--k", "12")]
    [InlineData("no such file", "label", "export", "--db", "{dir}/missing.db", "--out", "{dir}/o.jsonl")]
    [InlineData("no such file", "label", "status", "--db", "{dir}/missing.db")]
    [InlineData("bad.jsonl:1: missing required field 'ranking'", "label", "import", "--db", "{dir}/x.db", "--in", "{dir}/bad.jsonl", "--labeler", "x")]
    [InlineData("is not an IP address", "label", "serve", "--db", "{dir}/x.db", "--host", "example")]
    public void BadInput_ExitsWith1_AndSaysWhatIsWrong(string expected, params string[] args)
    {
        Write("bad.jsonl", """{"prompt": "p", "completions": ["a", "b"]}""");
        var (code, _, error) = InProcessCli.Run([.. args.Select(a => a.Replace("{dir}", _dir))]);
        Assert.NotEqual(0, code);
        Assert.Contains(expected, error);
    }
}
