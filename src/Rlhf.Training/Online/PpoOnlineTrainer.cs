using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Data;
using Rlhf.Training.Labeling;
using Rlhf.Data.Progress;
using Rlhf.Training.Ppo;
using Rlhf.Training.Rl;
using Rlhf.Data.Preferences;
using Rlhf.Data.Prompts;
using Rlhf.Training.RewardModeling;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Online;

/// <summary>
/// Online round training the InstructGPT / Anthropic HH way (Ouyang et al. 2022 §3; Bai et al. 2022 "iterated online
/// RLHF"): (1) refresh the reward model on ALL rankings collected so far (this round's and every earlier round's
/// <c>round_NNN/rankings.jsonl</c>), initialised from the reference model, in <c>round_NNN/rm/</c>, its scores normalised
/// on this round's samples (drawn by the round's policy, where PPO starts); (2) run PPO from the
/// round's policy against that reward model, with the KL penalty to the round's reference, in <c>round_NNN/ppo/</c>.
/// The next policy is PPO's final checkpoint. Seeds are offset by the round so rounds differ but stay deterministic.
/// </summary>
public sealed class PpoOnlineTrainer(RewardConfig rewardTemplate, PpoConfig ppoTemplate, BpeTokenizer tokenizer, IReadOnlyList<RlPrompt> prompts,
    IGoldScorer? gold = null, TextWriter? log = null, IProgressReporter? progress = null) : IOnlineTrainer
{
    /// <summary>Name in logs.</summary>
    public const string TrainerName = "rm+ppo";

    /// <inheritdoc/>
    public string Name => TrainerName;

    /// <inheritdoc/>
    public OnlineTrainResult Train(OnlineRound round, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(round);
        // 1. the reward model, refreshed on every ranking so far (earlier rounds' files + this round's)
        string loopDir = Path.GetDirectoryName(Path.GetFullPath(round.Directory))!;
        var records = new List<RankedCompletions>();
        for (int r = 0; r < round.Round; r++)
        {
            string path = Path.Combine(OnlineLoop.RoundDirectory(loopDir, r), "rankings.jsonl");
            if (File.Exists(path) && new FileInfo(path).Length > 0) records.AddRange(PreferenceData.Load(path).Records); // empty: a round of people that got no label
        }
        records.AddRange(round.Rankings.Records);
        var rmConfig = rewardTemplate with
        {
            OutDir = Path.Combine(round.Directory, "rm"), InitCheckpoint = round.ReferenceDirectory, Model = null,
            Seed = rewardTemplate.Seed + (ulong)round.Round,
        };
        // normalised on this round's samples, which the round's starting policy drew: PPO starts from that policy, so its
        // rewards start at mean 0, std 1 (not on earlier rounds' policies' completions)
        var roundSamples = round.Rankings.Records.SelectMany(r => r.Completions.Select(c => new SftExample(r.Prompt, c))).ToList();
        var rm = new RewardTrainer(rmConfig, tokenizer, new PreferenceData(PreferenceFormat.Ranked, records), log ?? TextWriter.Null, progress)
            { ReferenceSamples = roundSamples }.Run(cancel: cancel);
        if (rm.Stopped) return new OnlineTrainResult(round.PolicyDirectory, new Dictionary<string, double>());

        // 2. PPO from the round's policy against the refreshed reward model
        var ppoConfig = ppoTemplate with { OutDir = Path.Combine(round.Directory, "ppo"), Seed = ppoTemplate.Seed + (ulong)round.Round };
        var trainer = new PpoTrainer(ppoConfig, tokenizer, CausalLmCheckpoint.Load(round.PolicyDirectory), CausalLmCheckpoint.Load(round.ReferenceDirectory),
            RewardModelReward.Load([rm.Directory], ppoConfig.ChatTemplateName), prompts, log, progress)
        {
            Gold = gold is null ? null : new GoldScorerReward(gold),
        };
        var ppo = trainer.Run(cancel: cancel);
        var metrics = new Dictionary<string, double>
        {
            ["rm_records"] = records.Count, ["rm_steps"] = rm.Step, ["ppo_iterations"] = ppo.Iteration,
            ["ppo_proxy_reward"] = ppo.LastProxyReward, ["ppo_kl"] = ppo.LastKl,
        };
        if (rm.Evaluation is { } e) metrics["rm_eval_accuracy"] = e.Accuracy;
        return new OnlineTrainResult(ppo.CheckpointDirectory, metrics);
    }
}
