using System.Net;
using Rlhf.Data.Preferences;
using Rlhf.Feedback.Exchange;
using Rlhf.Feedback.Quality;
using Rlhf.Feedback.Rounds;
using Rlhf.Feedback.Storage;

namespace Rlhf.Feedback.Tests;

/// <summary>Rounds with people (<see cref="HumanRound"/>): enqueue once, resume a stopped wait, deadline, labeler weights.</summary>
public sealed class HumanRoundTests : IDisposable
{
    private readonly TempDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void LabelerWeights_AreChanceCorrectedAgreement()
    {
        Assert.Equal(1.0, LabelerWeights.Of(1.0));
        Assert.Equal(0.5, LabelerWeights.Of(0.75), 12);
        Assert.Equal(0.0, LabelerWeights.Of(0.5), 12);     // a coin-flipper
        Assert.Equal(0.0, LabelerWeights.Of(0.2));         // below chance is not trusted in reverse
        Assert.Equal(1.0, LabelerWeights.Of(null));        // not judged yet: kept at full weight
    }

    private static LabelSubmission Label(string id, params int[] ranking) => new(id, ranking, [], false, false, 1000);

    /// <summary>Hands the next task to <paramref name="who"/> and labels it best-first as <paramref name="rank"/> orders it.</summary>
    private static long LabelNext(FeedbackStore store, Labeler who, Func<FeedbackTask, int[]> rank)
    {
        var task = store.NextTask(who, 2, TimeSpan.FromMinutes(5))!;
        store.Submit(who, task.Id, Label($"{who.Name}-{task.Id}", rank(task)), 2);
        return task.Id;
    }

    [Fact]
    public void Weighted_Export_WritesEachLabelersWeight_AndTheParserAppliesItToThePairs()
    {
        var store = FeedbackStore.Open(_dir.File("w.db"));
        var ann = store.AddLabeler("ann").Labeler;
        var bob = store.AddLabeler("bob").Labeler;
        store.Enqueue([new LabelTaskInput("gold", ["good", "bad", "meh"], Gold: [0, 2, 1]), new LabelTaskInput("p", ["x", "y"])], "test");
        for (int i = 0; i < 2; i++)
        {
            LabelNext(store, ann, t => t.Gold is { } g ? [.. g] : [0, 1]);    // agrees with gold on 3 of 3 pairs
            LabelNext(store, bob, t => t.Gold is { } g ? [.. g.Reverse()] : [1, 0]); // 0 of 3
        }
        string path = _dir.File("weighted.jsonl");
        Assert.Equal(2, FeedbackExport.Write(store, path, new FeedbackExport.Options(Weighted: true)));
        var records = PreferenceData.Load(path).Records;
        var byLabeler = records.ToDictionary(r => r.Labeler!);
        Assert.Equal((1.0, 0.0), (byLabeler["ann"].Weight, byLabeler["bob"].Weight));
        Assert.Equal(1.0, byLabeler["ann"].Pairs().Single().Weight);
        Assert.Equal(0.0, byLabeler["bob"].Pairs().Single().Weight);
        // unweighted export writes no weight: every record counts 1
        FeedbackExport.Write(store, path, new FeedbackExport.Options());
        Assert.All(PreferenceData.Load(path).Records, r => Assert.Equal(1.0, r.Weight));
        Assert.Throws<FeedbackException>(() => FeedbackExport.Write(store, path, new FeedbackExport.Options(PreferenceFormat.Pairwise, Weighted: true)));
    }

    [Fact]
    public void Round_EnqueuesOnce_ResumesAStoppedWait_AndTakesOnlyLabelsGivenAfterItsEnqueue()
    {
        var store = FeedbackStore.Open(_dir.File("r.db"));
        var ann = store.AddLabeler("ann").Labeler;
        var bob = store.AddLabeler("bob").Labeler;
        LabelTaskInput[] tasks = [new("p1", ["a", "b"]), new("p2", ["c", "d", "e"])];
        // an earlier round asked p1 with the same texts, and ann labeled it then
        store.Enqueue([tasks[0]], "earlier");
        LabelNext(store, ann, _ => [0, 1]);
        using var desk = new StoreLabelDesk(store);
        string roundDir = _dir.File("round_000");
        var options = new HumanRoundOptions { LabelsPerTask = 1, PollInterval = TimeSpan.FromMilliseconds(10) };

        // 1. stopped while waiting: null, the round's link to the store is saved
        using (var stopped = new CancellationTokenSource())
        {
            stopped.Cancel();
            Assert.Null(HumanRound.Run(desk, tasks, roundDir, "test", options, TextWriter.Null, stopped.Token));
        }
        var state = HumanRound.ReadState(roundDir)!;
        Assert.Equal(2, state.TaskIds.Count);
        Assert.Equal(2, store.TaskCount());
        Assert.Equal(2, File.ReadAllLines(Path.Combine(roundDir, HumanRound.TasksFile)).Length);

        // 2. people label (ann's earlier label of p1 does not count: it answered the earlier round)
        LabelNext(store, bob, _ => [1, 0]);
        LabelNext(store, bob, _ => [2, 1, 0]);
        var log = new StringWriter();
        var result = HumanRound.Run(desk, tasks, roundDir, "test", options, log)!;
        Assert.Equal(2, store.TaskCount());                                   // resumed: nothing enqueued again
        Assert.Contains("resuming the round's wait", log.ToString());
        Assert.Equal((2, 2, false), (result.Labels, result.Quota, result.DeadlineReached));
        Assert.All(result.Records, r => Assert.Equal("bob", r.Labeler));
        Assert.Equal(["p1", "p2"], result.Records.Select(r => r.Prompt));

        // 3. other samples in the same round directory are refused
        Assert.Throws<InvalidDataException>(() => HumanRound.Run(desk, [tasks[1], tasks[0]], roundDir, "test", options, TextWriter.Null));
    }

    [Fact]
    public void Round_StopsAtItsDeadline_WithTheLabelsSoFar()
    {
        var clock = new ManualClock();
        var store = FeedbackStore.Open(_dir.File("d.db"), clock);
        var ann = store.AddLabeler("ann").Labeler;
        using var desk = new StoreLabelDesk(store);
        LabelTaskInput[] tasks = [new("p1", ["a", "b"]), new("p2", ["c", "d"])];
        var options = new HumanRoundOptions { Deadline = TimeSpan.FromHours(1), PollInterval = TimeSpan.FromMilliseconds(10), Clock = clock };
        string roundDir = _dir.File("round_000");
        using (var stopped = new CancellationTokenSource())
        {
            stopped.Cancel();
            Assert.Null(HumanRound.Run(desk, tasks, roundDir, "test", options, TextWriter.Null, stopped.Token));
        }
        LabelNext(store, ann, _ => [0, 1]);
        clock.Advance(TimeSpan.FromHours(2));                                  // the deadline counts from the enqueue, across the resume
        var log = new StringWriter();
        var result = HumanRound.Run(desk, tasks, roundDir, "test", options, log)!;
        Assert.Equal((1, 2, true), (result.Labels, result.Quota, result.DeadlineReached));
        Assert.Single(result.Records);
        Assert.Contains("deadline", log.ToString());
    }

    [Fact]
    public async Task Api_Labels_IsForAdmins_PagesByLabelId_AndEnqueueAnswersTaskIds()
    {
        await using var h = await ServerHarness.StartAsync([new CompletionGroup("p", ["a", "b"])], new() { RateLimitPerMinute = 0 });
        string admin = h.Store.AddLabeler("op", isAdmin: true).Token;
        var (ann, annToken) = h.Store.AddLabeler("ann");
        using var desk = new HttpLabelDesk(h.Server.Address, admin);
        var ids = desk.Enqueue([new LabelTaskInput("q", ["c", "d"]), new LabelTaskInput("p", ["a", "b"])], "test");
        Assert.Equal([2L, 1L], ids);                                           // the second was already queued: its id
        LabelNext(h.Store, ann, _ => [0, 1]);
        LabelNext(h.Store, ann, _ => [1, 0]);
        var all = desk.LabelsAfter(0);
        Assert.Equal(2, all.Count);
        Assert.Equal(["ann", "ann"], all.Select(l => l.Labeler));
        Assert.Single(desk.LabelsAfter(all[0].Id));
        Assert.Equal(all[1].Task.Completions, desk.LabelsAfter(all[0].Id)[0].Task.Completions);
        using var client = h.Client(annToken);
        Assert.Equal(HttpStatusCode.Forbidden, (await client.GetAsync("api/labels")).StatusCode);
        using var adminClient = h.Client(admin);
        Assert.Equal(HttpStatusCode.BadRequest, (await adminClient.GetAsync("api/labels?after=-1")).StatusCode);
    }
}
