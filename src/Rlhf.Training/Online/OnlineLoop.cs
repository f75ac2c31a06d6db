using System.Globalization;
using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Labeling;
using Rlhf.Training.Rl;
using Rlhf.Data;
using Rlhf.Data.Preferences;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Online;

/// <summary>
/// Iterated online preference training — the closed loop of the system (Bai et al. 2022 "iterated online RLHF";
/// online/iterative DPO): for round r = 0 … N−1,
/// <list type="number">
/// <item>sample K responses per prompt from the current policy (<see cref="RolloutSampler"/>, generator seeded by seed and r);</item>
/// <item>measure the samples: <c>gold_reward</c> (mean gold score, when a gold scorer is given), <c>kl</c> to the
/// initial policy (mean Σ_t log π − log π_init over the sampled tokens, both teacher-forced), <c>response_length</c>;</item>
/// <item>rank each prompt's K responses with the labeler (<see cref="IRoundLabeler"/>: a simulated panel or reward model
/// per prompt, or people through a label store, waiting for their answers) and save them as <c>round_NNN/rankings.jsonl</c>;</item>
/// <item>train on them with the <see cref="IOnlineTrainer"/> (DPO; reference = initial policy, or the round's policy
/// with <see cref="OnlineConfig.RefreshReference"/>), giving the next policy;</item>
/// <item>log the round's metrics (step = r) to <c>metrics.jsonl</c> and save <c>online_state.json</c>.</item>
/// </list>
/// After round N−1 the final policy is sampled and measured once more (step N, no training). Resumable at round
/// granularity: an interrupted round is discarded and redone from its start; labelers are created per round
/// (<c>labelerForRound</c>) so a redone round gets the same labels, and a labeler of people keeps the round's link to
/// its label store (<see cref="IRoundLabeler.KeptOnRedo"/>), so a round stopped while waiting goes on waiting.
/// </summary>
public sealed class OnlineLoop
{
    /// <summary>State file name inside the run directory.</summary>
    public const string StateFile = "online_state.json";

    private readonly OnlineConfig _config;
    private readonly BpeTokenizer _tokenizer;
    private readonly IReadOnlyList<RlPrompt> _prompts;
    private readonly IRoundLabeler _labeler;
    private readonly IOnlineTrainer _trainer;
    private readonly IGoldScorer? _gold;
    private readonly TextWriter _log;

    /// <summary>A loop over <paramref name="prompts"/>; <paramref name="labelerForRound"/> gives round r's labeler (deterministically).</summary>
    public OnlineLoop(OnlineConfig config, BpeTokenizer tokenizer, IReadOnlyList<RlPrompt> prompts, Func<int, ILabeler> labelerForRound,
        IOnlineTrainer trainer, IGoldScorer? gold = null, TextWriter? log = null)
        : this(config, tokenizer, prompts, new PanelRoundLabeler(labelerForRound), trainer, gold, log)
    {
    }

    /// <summary>A loop over <paramref name="prompts"/> whose rounds <paramref name="labeler"/> labels as a whole (e.g. people through a label store).</summary>
    public OnlineLoop(OnlineConfig config, BpeTokenizer tokenizer, IReadOnlyList<RlPrompt> prompts, IRoundLabeler labeler,
        IOnlineTrainer trainer, IGoldScorer? gold = null, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(labeler);
        ArgumentNullException.ThrowIfNull(trainer);
        if (prompts.Count == 0) throw new TrainingException("no prompts to sample from");
        (_config, _tokenizer, _prompts, _labeler, _trainer, _gold, _log) = (config, tokenizer, prompts, labeler, trainer, gold, log ?? Console.Out);
    }

    /// <summary>The directory of round <paramref name="round"/>.</summary>
    public static string RoundDirectory(string outDir, int round) => Path.Combine(outDir, "round_" + round.ToString("D3", CultureInfo.InvariantCulture));

    /// <summary>Runs the remaining rounds (all of them, or from the saved state with <paramref name="resume"/>); returns the per-round metrics of this session.</summary>
    public List<Dictionary<string, double>> Run(bool resume = false, CancellationToken cancel = default)
    {
        var cfg = _config;
        cfg.Validate();
        string outDir = cfg.OutDir, statePath = Path.Combine(outDir, StateFile);

        // ---- state: fresh, or the rounds already done
        var state = new OnlineState(cfg, 0, TrainingCheckpoint.ResolveModelDirectory(cfg.InitCheckpoint));
        if (resume)
        {
            var saved = ReadState(outDir);
            string a = JsonSerializer.Serialize(saved.Config with { Rounds = 0, OutDir = "" }, TrainingCheckpoint.Json);
            string b = JsonSerializer.Serialize(cfg with { Rounds = 0, OutDir = "" }, TrainingCheckpoint.Json);
            if (a != b) throw new TrainingException($"cannot resume with changed settings (only the number of rounds may change):\nsaved   {a}\ncurrent {b}");
            state = saved with { Config = cfg };
        }
        else if (File.Exists(statePath) || Directory.Exists(RoundDirectory(outDir, 0)))
            throw new TrainingException($"{outDir} already holds an online run; continue it with --resume, or choose another output directory");
        Directory.CreateDirectory(outDir);
        // saved before round 0 too: a first round stopped while waiting for people's labels is resumed, not started anew
        if (!resume) AtomicFile.WriteAllText(statePath, JsonSerializer.Serialize(state, TrainingCheckpoint.Json));

        var template = ChatTemplate.For(_tokenizer, cfg.ChatTemplateName);
        var initial = CausalLmCheckpoint.Load(TrainingCheckpoint.ResolveModelDirectory(cfg.InitCheckpoint));
        TrainingSetup.CheckModel(initial, _tokenizer, initial.MaxPositions);
        using var metrics = TrainingSetup.OpenMetrics(outDir, resume ? state.CompletedRounds - 1 : null);
        _log.WriteLine($"online: {cfg.Rounds} rounds × {cfg.PromptsPerRound} prompts × K = {cfg.SamplesPerPrompt}, labeler {cfg.Labeler}, trainer {_trainer.Name}, "
            + $"reference {(cfg.RefreshReference ? "refreshed each round" : "the initial policy")}" + (state.CompletedRounds > 0 ? $"; resuming after round {state.CompletedRounds - 1}" : ""));

        var session = new List<Dictionary<string, double>>();
        for (int round = state.CompletedRounds; round <= cfg.Rounds; round++)
        {
            if (cancel.IsCancellationRequested) break;
            string roundDir = RoundDirectory(outDir, round);
            ClearForRedo(roundDir); // an interrupted round: redo it from scratch (keeping what the labeler keeps)

            // 1. sample K responses per prompt from the current policy
            var policy = CausalLmCheckpoint.Load(state.PolicyDirectory);
            var prompts = new RlPrompt[cfg.PromptsPerRound];
            for (int i = 0; i < prompts.Length; i++) prompts[i] = _prompts[(int)(((long)round * cfg.PromptsPerRound + i) % _prompts.Count)];
            var samples = Sample(policy, template, prompts, round);

            // 2. measure them: gold reward, KL to the initial policy, length
            var values = Measure(policy, initial, samples);
            values["round"] = round;
            if (round == cfg.Rounds)
            {
                metrics.Write(round, values);
                _log.WriteLine($"online: final policy: {Describe(values)}");
                session.Add(values);
                break;
            }

            // 3. rank each prompt's K responses with the labeler (at once, or by people through a label store: it may wait)
            Directory.CreateDirectory(roundDir);
            var groups = Enumerable.Range(0, prompts.Length)
                .Select(p => (IReadOnlyList<string>)[.. samples.Skip(p * cfg.SamplesPerPrompt).Take(cfg.SamplesPerPrompt).Select(s => s.CompletionText)]).ToList();
            var labels = _labeler.Label(round, prompts, groups, roundDir, cancel);
            if (labels is null) break; // stopped while waiting for labels: a resume goes on waiting
            var rankings = labels.Rankings;
            PreferenceData.Write(Path.Combine(roundDir, "rankings.jsonl"), rankings);
            foreach (var (k, v) in labels.Metrics) values[k] = v;

            // 4. train: the next policy
            string reference = cfg.RefreshReference ? state.PolicyDirectory : TrainingCheckpoint.ResolveModelDirectory(cfg.InitCheckpoint);
            var result = _trainer.Train(new OnlineRound(round, state.PolicyDirectory, reference, rankings, roundDir), cancel);
            if (cancel.IsCancellationRequested) break; // the trainer stopped midway: the round is redone on resume

            // 5. log the round and save the state
            foreach (var (k, v) in result.Metrics) values[k] = v;
            metrics.Write(round, values);
            _log.WriteLine($"online: round {round}: {Describe(values)}");
            session.Add(values);
            state = state with { CompletedRounds = round + 1, PolicyDirectory = result.PolicyDirectory };
            AtomicFile.WriteAllText(statePath, JsonSerializer.Serialize(state, TrainingCheckpoint.Json));
        }
        return session;
    }

    /// <summary>Deletes an interrupted round's directory, except the files the labeler keeps across a redo (<see cref="IRoundLabeler.KeptOnRedo"/>).</summary>
    private void ClearForRedo(string roundDir)
    {
        if (!Directory.Exists(roundDir)) return;
        var keep = _labeler.KeptOnRedo;
        if (keep.Count == 0) { Directory.Delete(roundDir, recursive: true); return; }
        foreach (string dir in Directory.GetDirectories(roundDir)) Directory.Delete(dir, recursive: true);
        foreach (string file in Directory.GetFiles(roundDir))
            if (!keep.Contains(Path.GetFileName(file), StringComparer.Ordinal)) File.Delete(file);
    }

    /// <summary>
    /// The saved state of the online run in <paramref name="outDir"/>; throws <see cref="TrainingException"/> when there is
    /// none and <see cref="DataFormatException"/> when the file is malformed.
    /// </summary>
    public static OnlineState ReadState(string outDir)
    {
        string path = Path.Combine(outDir, StateFile);
        if (!File.Exists(path)) throw new TrainingException($"nothing to resume: {path} does not exist; start without --resume");
        OnlineState? saved;
        try { saved = JsonSerializer.Deserialize<OnlineState>(File.ReadAllText(path), TrainingCheckpoint.Json); }
        catch (JsonException e) { throw new DataFormatException($"{path}: not a valid online state ({e.Message})", e); }
        return saved ?? throw new DataFormatException($"{path}: not a valid online state (null)");
    }

    /// <summary>K samples per prompt, prompt-major, with round <paramref name="round"/>'s own generator.</summary>
    private List<RolloutSample> Sample(ICausalLm policy, ChatTemplate template, IReadOnlyList<RlPrompt> prompts, int round)
    {
        int longest = prompts.Max(p => template.EncodePrompt(p.Prompt, p.Messages).Length);
        int room = policy.MaxPositions - longest;
        if (room < 1) throw new TrainingException($"a prompt of {longest} tokens leaves no room to respond in the model's context of {policy.MaxPositions}");
        var generation = new GenerationConfig(MaxNewTokens: Math.Min(_config.MaxNewTokens, room), Temperature: _config.Temperature);
        var rng = new Rng(_config.Seed ^ (0xD1B54A32D192ED03UL * (ulong)(round + 1)));
        return RolloutSampler.Sample(policy, template, prompts, _config.SamplesPerPrompt, generation, rng);
    }

    /// <summary>Mean gold reward, KL to <paramref name="initial"/> (k1 summed per sequence) and length of <paramref name="samples"/>.</summary>
    private Dictionary<string, double> Measure(ICausalLm policy, ICausalLm initial, List<RolloutSample> samples)
    {
        var batch = SequenceBatch.Build(samples, _tokenizer.PadId);
        var logP = PolicyForward.LogProbs(policy, batch, _config.Temperature);
        var logRef = PolicyForward.LogProbs(initial, batch, _config.Temperature);
        int L = batch.ResponseLength;
        double kl = 0, gold = 0;
        for (int b = 0; b < samples.Count; b++)
        {
            for (int j = 0; j < batch.ResponseLengths[b]; j++) kl += KlEstimator.K1(logP[b * L + j], logRef[b * L + j]);
            if (_gold is not null) gold += _gold.Score(samples[b].Prompt.Prompt, samples[b].CompletionText);
        }
        var (length, repetition) = ResponseStats.Summarize(samples);
        var values = new Dictionary<string, double>
        {
            [RlMetricNames.Kl] = kl / samples.Count, [RlMetricNames.ResponseLength] = length, [RlMetricNames.RepetitionRate] = repetition,
        };
        if (_gold is not null) values[RlMetricNames.GoldReward] = gold / samples.Count;
        return values;
    }

    private static string Describe(Dictionary<string, double> v) =>
        string.Join(", ", v.Where(kv => kv.Key != "round").Select(kv => $"{kv.Key} {kv.Value:G4}"));
}
