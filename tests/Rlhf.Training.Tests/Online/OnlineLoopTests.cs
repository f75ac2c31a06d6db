using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Training.Common;
using Rlhf.Training.Dpo;
using Rlhf.Training.Labeling;
using Rlhf.Training.Online;
using Rlhf.Training.Rl;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Metrics;
using Rlhf.Data.Preferences;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Online;

public sealed class OnlineLoopTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private string InitModel()
    {
        string dir = _tmp.File("init");
        if (!Directory.Exists(dir))
        {
            HfCheckpoint.Save(dir, new Gpt(TrainingFixtures.TinyModel(48), seed: 9), eosTokenId: TrainingFixtures.Tokenizer.EndOfTextId);
            TrainingFixtures.Tokenizer.Save(dir);
        }
        return dir;
    }

    private static readonly RlPrompt[] Prompts = [new("the cat"), new("a dog ran"), new("the sun is"), new("birds sing"), new("we read")];

    private OnlineLoop Loop(string outDir, int rounds)
    {
        var gold = new LexiconSentimentScorer();
        var config = new OnlineConfig { OutDir = outDir, InitCheckpoint = InitModel(), Rounds = rounds, PromptsPerRound = 4, SamplesPerPrompt = 3, MaxNewTokens = 6, Seed = 3 };
        var dpo = new DpoConfig
        {
            OutDir = "", BatchSize = 4, LearningRate = 1e-2f, WarmupSteps = 1, EvalBatches = 1, KlPrompts = 1, KlMaxNewTokens = 4, CheckpointInterval = 0, ValFraction = 0.25, Seed = 4,
        };
        var trainer = new DpoOnlineTrainer(dpo, TrainingFixtures.Tokenizer, gold, TextWriter.Null, TrainingFixtures.Quiet);
        return new OnlineLoop(config, TrainingFixtures.Tokenizer, Prompts, round => LabelerPanel.Simulated(gold, new(0.1), 2, 100 + (ulong)round), trainer, gold, TextWriter.Null);
    }

    [Fact]
    public void Two_rounds_with_simulated_labelers_write_per_round_metrics_and_resume_at_round_granularity()
    {
        string a = _tmp.File("a");
        var rounds = Loop(a, 2).Run();
        Assert.Equal(3, rounds.Count); // rounds 0, 1 and the final measurement
        var log = MetricsReader.Read(Path.Combine(a, TrainingSetup.MetricsFile));
        Assert.Equal([0, 1, 2], log.Select(e => e.Step));
        Assert.All(log, e => Assert.NotNull(e.Get(RlMetricNames.GoldReward)));
        Assert.Equal(0.0, log[0].Get(RlMetricNames.Kl)); // round 0 samples the initial policy itself
        Assert.True(log[1].Get("dpo_pairs") is > 0, "round 1 logs the DPO pairs it trained on");
        Assert.True(log[2].Get(RlMetricNames.Kl) is double kl && kl != 0, "two rounds of DPO moved the policy (kl logged, non-zero)");
        var rankings = PreferenceData.Load(Path.Combine(OnlineLoop.RoundDirectory(a, 0), "rankings.jsonl"));
        Assert.Equal(4, rankings.Records.Count);
        Assert.All(rankings.Records, r => Assert.Equal(3, r.Completions.Count));
        Assert.Equal(2, OnlineLoop.ReadState(a).CompletedRounds);

        // one round, then resume to two: the same rounds as the uninterrupted run
        string b = _tmp.File("b");
        Loop(b, 1).Run();
        Directory.CreateDirectory(OnlineLoop.RoundDirectory(b, 1)); // debris of an interrupted round: discarded
        Loop(b, 2).Run(resume: true);
        TrainingFixtures.AssertSameMetrics(Path.Combine(a, TrainingSetup.MetricsFile), Path.Combine(b, TrainingSetup.MetricsFile));
        Assert.Throws<TrainingException>(() => Loop(b, 3).Run()); // a fresh run refuses an existing one
    }

    /// <summary>A round labeler that keeps a note in the round directory and is "stopped while waiting" on its first call.</summary>
    private sealed class WaitingLabeler : IRoundLabeler
    {
        public int Calls;
        public readonly List<bool> SawNote = [];

        public IReadOnlyList<string> KeptOnRedo => ["note.txt"];

        public RoundLabels? Label(int round, IReadOnlyList<RlPrompt> prompts, IReadOnlyList<IReadOnlyList<string>> completions, string roundDirectory, CancellationToken cancel = default)
        {
            Calls++;
            string note = Path.Combine(roundDirectory, "note.txt");
            SawNote.Add(File.Exists(note) && File.ReadAllText(note) == $"round {round}");
            if (Calls == 1)
            {
                File.WriteAllText(note, $"round {round}");
                File.WriteAllText(Path.Combine(roundDirectory, "scratch.txt"), "not kept");
                return null; // stopped while waiting for people
            }
            var records = prompts.Select((p, i) => new RankedCompletions(p.Prompt, completions[i], [.. Enumerable.Range(0, completions[i].Count)], []) { Labeler = "ann", Weight = 0.5 }).ToList();
            return new RoundLabels(new PreferenceData(PreferenceFormat.Ranked, records), new Dictionary<string, double> { ["human_labels"] = records.Count });
        }
    }

    [Fact]
    public void A_round_stopped_while_waiting_for_labels_resumes_with_the_files_its_labeler_keeps()
    {
        var gold = new LexiconSentimentScorer();
        string dir = _tmp.File("waiting");
        var config = new OnlineConfig { OutDir = dir, InitCheckpoint = InitModel(), Rounds = 1, PromptsPerRound = 4, SamplesPerPrompt = 3, MaxNewTokens = 6, Seed = 3 };
        var dpo = new DpoConfig
        {
            OutDir = "", BatchSize = 4, LearningRate = 1e-2f, WarmupSteps = 1, EvalBatches = 1, KlPrompts = 1, KlMaxNewTokens = 4, CheckpointInterval = 0, ValFraction = 0.25, Seed = 4,
        };
        var labeler = new WaitingLabeler();
        OnlineLoop Loop() => new(config, TrainingFixtures.Tokenizer, Prompts, labeler, new DpoOnlineTrainer(dpo, TrainingFixtures.Tokenizer, gold, TextWriter.Null, TrainingFixtures.Quiet), gold, TextWriter.Null);
        Assert.Empty(Loop().Run());                                        // stopped while waiting: no round logged
        Assert.Equal(0, OnlineLoop.ReadState(dir).CompletedRounds);        // but the run is there to resume
        Assert.Throws<TrainingException>(() => Loop().Run());              // a fresh start refuses it
        Assert.Equal(2, Loop().Run(resume: true).Count);                   // round 0 and the final measurement
        Assert.Equal([false, true], labeler.SawNote);                      // the redone round found its labeler's note (the refused start never reached it)
        string round0 = OnlineLoop.RoundDirectory(dir, 0);
        Assert.False(File.Exists(Path.Combine(round0, "scratch.txt")));    // everything else was cleared
        var rankings = PreferenceData.Load(Path.Combine(round0, "rankings.jsonl")).Records;
        Assert.All(rankings, r => Assert.Equal(("ann", 0.5), (r.Labeler, r.Weight))); // labeler and weight kept in the round's file
        Assert.Equal(4.0, MetricsReader.Read(Path.Combine(dir, TrainingSetup.MetricsFile))[0].Get("human_labels"));
    }

    [Fact]
    public void Ppo_rounds_normalise_each_rounds_reward_model_on_that_rounds_samples()
    {
        string dir = _tmp.File("ppo");
        var gold = new LexiconSentimentScorer();
        var config = new OnlineConfig { OutDir = dir, InitCheckpoint = InitModel(), Rounds = 2, PromptsPerRound = 4, SamplesPerPrompt = 3, MaxNewTokens = 6, Seed = 3 };
        var trainer = new PpoOnlineTrainer(new Rlhf.Training.RewardModeling.RewardConfig { OutDir = "", MaxSteps = 3, BatchSize = 2, Seed = 5 },
            new Rlhf.Training.Ppo.PpoConfig { OutDir = "", MaxSteps = 1, BatchSize = 4, MinibatchSize = 2, Epochs = 1, MaxNewTokens = 6, SampleEvery = 0, CheckpointInterval = 0, Seed = 6 },
            TrainingFixtures.Tokenizer, Prompts, gold, TextWriter.Null, TrainingFixtures.Quiet);
        new OnlineLoop(config, TrainingFixtures.Tokenizer, Prompts, round => LabelerPanel.Simulated(gold, new(0.1), 2, 100 + (ulong)round), trainer, gold, TextWriter.Null).Run();
        // round 1's RM was trained on rounds 0 and 1; its scores have mean 0 and std 1 on round 1's samples (the policy PPO starts from)
        string round = OnlineLoop.RoundDirectory(dir, 1);
        var samples = PreferenceData.Load(Path.Combine(round, "rankings.jsonl")).Records.SelectMany(r => r.Completions.Select(c => new RewardRequest(r.Prompt, c))).ToList();
        var scores = RewardModelReward.Load([TrainingCheckpoint.ResolveModelDirectory(Path.Combine(round, "rm"))]).Score(samples).Select(o => (double)o.Reward).ToList();
        double mean = scores.Average();
        Assert.Equal(0, mean, 3);
        Assert.Equal(1, Math.Sqrt(scores.Average(s => (s - mean) * (s - mean))), 2);
    }

    [Fact]
    public void Reward_labeler_ranks_by_score_best_first()
    {
        var labeler = new RewardLabeler(new GoldScorerReward(new LexiconSentimentScorer()));
        Assert.Equal([1, 2, 0], labeler.Rank("p", ["a bad awful day", "a great happy day", "a day"]));
    }
}
