using System.Text.Json;
using Rlhf.Data.Metrics;
using Rlhf.Data.Preferences;
using Rlhf.Feedback.Rounds;
using Rlhf.Feedback.Storage;
using Rlhf.Feedback.Web;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Tests;

/// <summary>
/// <c>rlhf online --labeler humans:&lt;url&gt;</c> end to end: a real label app on loopback, two simulated people
/// answering through its HTTP API (one careful, ranking by the lexicon gold; one random), two rounds of DPO.
/// </summary>
public sealed class HumansOnlineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-humans-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    [Fact]
    public async Task Two_rounds_with_a_careful_and_a_random_person_weigh_the_careful_one_and_lose_no_label()
    {
        var (model, _) = TinyPolicy.Create(_dir);
        File.WriteAllLines(P("prompts.jsonl"), ["{\"prompt\": \"the cat\"}", "{\"prompt\": \"the dog\"}", "{\"prompt\": \"the sun\"}", "{\"prompt\": \"the bird\"}"]);
        var store = FeedbackStore.Open(P("labels.db"));
        string admin = store.AddLabeler("operator", isAdmin: true).Token;
        string annToken = store.AddLabeler("ann").Token, bobToken = store.AddLabeler("bob").Token;
        // hidden gold tasks: the known order is the lexicon's (what the careful person ranks by), equal scores in index order
        var gold = new LexiconSentimentScorer();
        string[][] goldTexts =
        [
            ["the cat is good and happy", "the cat is sad", "the cat is", "the cat is bad and sad and tired"],
            ["the dog is warm", "the dog is cold and dark", "the dog is great and warm and kind", "the dog is dull"],
            ["the sun is bright", "the sun is", "the sun is awful and cold", "the sun is lovely and bright and warm"],
            ["the bird is sick", "the bird is glad and calm", "the bird is upset and rude", "the bird is nice"],
            ["a good day", "a bad day", "a day", "a great and happy day"],
            ["it is fun", "it is boring", "it is fun and pleasant and nice", "it is awful and boring"],
            ["so kind", "so rude", "so gloomy and rude", "so kind and friendly and helpful"],
            ["the best", "the worst", "fine", "the worst and ugly"],
        ];
        store.EnqueueTasks(goldTexts.Select((t, i) => new LabelTaskInput($"gold {i}", t,
            Gold: [.. Enumerable.Range(0, t.Length).OrderByDescending(j => gold.Score($"gold {i}", t[j]))])), "test-gold");
        await using var server = await FeedbackServer.StartAsync(store, new FeedbackServerOptions { Port = 0, LabelsPerTask = 2, RateLimitPerMinute = 0, ErrorLog = TextWriter.Null });

        using var annClient = new LabelerClient(server.Address, annToken);
        using var bobClient = new LabelerClient(server.Address, bobToken);
        var ann = new SimulatedPerson("ann", annClient, SimulatedPerson.Careful, new LexiconSentimentScorer().Score);
        var bob = new SimulatedPerson("bob", bobClient, SimulatedPerson.Random, seed: 7);
        using var critic = new FakeChatServer { Reply = "The answer repeats itself." }; // --assist: AI critiques beside each completion
        using var stop = new CancellationTokenSource();
        var threads = new[] { ann, bob }.Select(p => new Thread(() => p.Run(TimeSpan.FromMilliseconds(50), cancel: stop.Token)) { IsBackground = true }).ToList();
        threads.ForEach(t => t.Start());
        (int Code, string Out, string Err) run;
        try
        {
            run = InProcessCli.Run("online", "--policy", model, "--prompts", P("prompts.jsonl"), "--out", P("online"), "--loop", "2", "--prompts-per-round", "4",
                "--k", "3", "--max-new-tokens", "6", "--batch", "2", "--lr", "1e-2", "--labeler", "humans:" + server.Address.AbsoluteUri, "--admin-token", admin,
                "--labels-per-task", "2", "--poll-seconds", "0.1", "--round-deadline", "10m", "--assist", $"{critic.Endpoint}#critic");
        }
        finally
        {
            stop.Cancel();
            threads.ForEach(t => t.Join());
        }
        Assert.True(run.Code == 0, run.Err + run.Out);

        var acknowledged = ann.Acknowledged.Select(a => (Person: "ann", a.Task, a.Label)).Concat(bob.Acknowledged.Select(a => (Person: "bob", a.Task, a.Label))).ToList();
        Assert.Equal(acknowledged.Count, acknowledged.Select(a => a.Label).Distinct().Count());
        double annMass = 0, bobMass = 0;
        for (int round = 0; round < 2; round++)
        {
            string dir = P($"online/round_{round:D3}");
            var state = HumanRound.ReadState(dir)!;
            Assert.NotNull(state);
            var asked = File.ReadAllLines(Path.Combine(dir, HumanRound.TasksFile)).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            Assert.Equal(state.TaskIds, asked.Select(t => t.GetProperty("task").GetInt64()));
            Assert.All(asked, t => Assert.All(t.GetProperty("critiques").EnumerateArray(), c => Assert.Equal("The answer repeats itself.", c.GetString())));
            var records = PreferenceData.Load(Path.Combine(dir, "rankings.jsonl")).Records;
            // nothing lost: every acknowledged label of this round's tasks is in its rankings exactly once, and nothing else is
            var mine = acknowledged.Where(a => state.TaskIds.Contains(a.Task)).ToList();
            Assert.Equal(2 * state.TaskIds.Distinct().Count(), mine.Count);
            Assert.Equal(mine.Count, records.Count);
            foreach (var (person, task, _) in mine)
            {
                var completions = asked.Single(t => t.GetProperty("task").GetInt64() == task).GetProperty("completions").EnumerateArray().Select(c => c.GetString()!).ToList();
                Assert.Single(records, r => r.Labeler == person && r.Completions.SequenceEqual(completions));
            }
            // the careful person's labels dominate after quality weighting
            var annWeight = records.Where(r => r.Labeler == "ann").Select(r => r.Weight).Distinct().Single();
            var bobWeight = records.Where(r => r.Labeler == "bob").Select(r => r.Weight).Distinct().Single();
            Assert.Equal(1.0, annWeight);
            Assert.True(bobWeight < 0.5, $"round {round}: the random person weighs {bobWeight}");
            annMass += records.Where(r => r.Labeler == "ann").Sum(r => r.Pairs().Sum(p => p.Weight));
            bobMass += records.Where(r => r.Labeler == "bob").Sum(r => r.Pairs().Sum(p => p.Weight));
        }
        Assert.True(annMass > 2 * bobMass, $"pair weight: careful {annMass}, random {bobMass}");
        // every gold task was labeled by both, and gold labels never reach the rankings
        Assert.Equal(2 * goldTexts.Length, acknowledged.Count(a => store.GetTask(a.Task).Gold is not null));

        // the store records who saw the critiques: the careful person read them, the random one did not
        var roundLabels = store.Labels().Where(l => l.Task.Gold is null).ToList();
        Assert.All(roundLabels, l => Assert.Equal(l.Labeler == "ann", l.SawCritiques));

        var entries = MetricsReader.Read(P("online/metrics.jsonl"));
        Assert.Equal([0, 1, 2], entries.Select(e => e.Step));
        Assert.All(entries.Take(2), e => Assert.Equal(e.Get("human_tasks") * 2, e.Get("human_labels")));
        Assert.Contains("humans: ", run.Out);
    }

    [Fact]
    public void InProcessCritic_WritesOneDeterministicCritiquePerCompletion_FromOneOfOurModels()
    {
        var (model, _) = TinyPolicy.Create(_dir);
        var critic = new Rlhf.Cli.Judges.InProcessCritic(Rlhf.Models.Checkpoints.CausalLmCheckpoint.Load(model), Rlhf.Models.Tokenization.BpeTokenizer.Load(model));
        string[] answers = ["the cat is warm.", "the cat is cold. the cat is cold. the cat is cold. the cat is cold. the cat is cold."];
        var first = critic.Critique("the cat", answers);
        Assert.Equal(2, first.Count);
        Assert.Equal(first, critic.Critique("the cat", answers));           // greedy: the same critiques again
        Assert.Contains(first, c => c is { Length: > 0 });                 // a random tiny model still writes text
    }
}
