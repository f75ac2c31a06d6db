using System.Text.Json.Serialization;
using Rlhf.Training.Common;
using Rlhf.Training.Guard;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Ppo;

/// <summary>
/// Settings of a PPO run against a reward (<see cref="PpoTrainer"/>). Defaults follow Ziegler et al. 2019
/// (lm-human-preferences) and TRL's PPO: clip 0.2, value clip 0.2, vf_coef 0.1, γ 1, λ 0.95, 4 epochs, whitened
/// advantages, fixed β 0.05 (TRL's later k1 default) or, with <see cref="KlTarget"/>, Ziegler's adaptive controller
/// (target 6 nats, horizon 10000). Learning rate 1e-5 (TRL 1.41e-5 / 3e-6), no weight decay.
/// The shared vocabulary is <see cref="TrainerConfig"/>'s: <see cref="TrainerConfig.MaxSteps"/> iterations (rollout +
/// update; the CLI's <c>--iterations</c>), <see cref="TrainerConfig.BatchSize"/> prompts per iteration,
/// <see cref="TrainerConfig.LearningRate"/> (constant: PPO does not use the warmup + cosine schedule),
/// <see cref="TrainerConfig.Seed"/>, the checkpoint interval; β is <see cref="Beta"/> as in DPO and GRPO.
/// The models are handed to the trainer (<see cref="PolicyPath"/> records where the policy came from).
/// Stored in <c>trainer_state.json</c>; a resumed run must keep every setting except those
/// <see cref="TrainerConfig.CheckResumable"/> lets change (and the sample-table cadence).
/// </summary>
public sealed record PpoConfig : TrainerConfig
{
    /// <summary>PPO's defaults for the shared settings: 100 iterations of 64 prompts, lr 1e-5, no weight decay, a checkpoint every 10 iterations, no held-out evaluation.</summary>
    public PpoConfig()
    {
        MaxSteps = 100;
        BatchSize = 64;
        LearningRate = 1e-5f;
        WeightDecay = 0;
        WarmupSteps = 0;
        EvalInterval = 0;
        EvalBatches = 0;
        CheckpointInterval = 10;
    }

    /// <summary>Rows per gradient step within an epoch (the last minibatch of an epoch may be smaller).</summary>
    public int MinibatchSize { get; init; } = 16;

    /// <summary>PPO epochs over each rollout batch.</summary>
    public int Epochs { get; init; } = 4;

    /// <summary>Critic learning rate; null = <see cref="LearningRate"/>. Ignored with <see cref="SharedCritic"/> (one optimizer).</summary>
    public float? CriticLearningRate { get; init; }

    /// <summary>ε of the clipped surrogate: ratios outside [1 − ε, 1 + ε] give no gradient (Schulman et al. 2017).</summary>
    public float ClipRange { get; init; } = 0.2f;

    /// <summary>Value clip: new values may move at most this far from the rollout's values before the loss stops pulling (Ziegler et al. 2019).</summary>
    public float ValueClipRange { get; init; } = 0.2f;

    /// <summary>Weight of the value loss in the total loss (c₁ in Schulman et al. 2017).</summary>
    public float ValueCoef { get; init; } = 0.1f;

    /// <summary>Weight of the entropy bonus (c₂; 0 = off).</summary>
    public float EntropyCoef { get; init; }

    /// <summary>Discount γ.</summary>
    public float Gamma { get; init; } = 1f;

    /// <summary>GAE λ (Schulman et al. 2015).</summary>
    public float Lambda { get; init; } = 0.95f;

    /// <summary>Whiten advantages over the batch's response tokens (TRL always does).</summary>
    public bool WhitenAdvantages { get; init; } = true;

    /// <summary>Initial (or fixed) KL coefficient β of the per-token penalty −β·(log π − log π_ref).</summary>
    public float Beta { get; init; } = 0.05f;

    /// <summary>Target sequence KL (nats) of the adaptive controller (Ziegler et al. 2019); null = fixed β.</summary>
    public float? KlTarget { get; init; }

    /// <summary>Horizon (episodes) of the adaptive controller.</summary>
    public int KlHorizon { get; init; } = 10000;

    /// <summary>Clip the reward model's score to ±this before adding it (null = no clip; DeepSpeed-Chat 5, OpenRLHF 10).</summary>
    public float? RewardClip { get; init; }

    /// <summary>Weight γ_ptx of the pretraining log-likelihood term (InstructGPT's PPO-ptx); used only when pretraining data is given.</summary>
    public float PtxCoef { get; init; } = 0.05f;

    /// <summary>Rows of pretraining text per minibatch for PPO-ptx.</summary>
    public int PtxBatchSize { get; init; } = 4;

    /// <summary>Tokens per PPO-ptx row (capped by the model context).</summary>
    public int PtxSeqLen { get; init; } = 64;

    /// <summary>Response length cap (new tokens).</summary>
    public int MaxNewTokens { get; init; } = 48;

    /// <summary>Sampling temperature; the trainer recomputes log-probs at the same temperature.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>Critic shares the policy's trunk (one forward, one optimizer) instead of its own trunk copy.</summary>
    public bool SharedCritic { get; init; }

    /// <summary>Print a sample table (and append to <c>samples.jsonl</c>) every this many iterations (0 = never).</summary>
    public int SampleEvery { get; init; } = 10;

    /// <summary>Rows in each sample table.</summary>
    public int SampleRows { get; init; } = 4;

    /// <summary>Where the policy came from (provenance for resume and logs; the trainer is handed the model itself).</summary>
    public string? PolicyPath { get; init; }

    /// <summary>Where the reference model came from (null: the policy path).</summary>
    public string? ReferencePath { get; init; }

    /// <summary>Reward model directories (several: an ensemble).</summary>
    public string[]? RewardModelPaths { get; init; }

    /// <summary>Weights of the reward models when they are combined as r = Σ w_i·r_i instead of averaged as an ensemble (null: ensemble).</summary>
    public float[]? RewardWeights { get; init; }

    /// <summary>The prompts file.</summary>
    public string? PromptsPath { get; init; }

    /// <summary>Gold scorer spec (<c>lexicon</c> or <c>rm:&lt;dir&gt;</c>), null = none.</summary>
    public string? Gold { get; init; }

    /// <summary>Held-out reward model directories (measured, never trained against), null = none.</summary>
    public string[]? HeldOutPaths { get; init; }

    /// <summary>Pretraining text file for PPO-ptx, null = off.</summary>
    public string? PtxPath { get; init; }

    /// <summary>Subtracted from the reward of a response cut at <see cref="MaxNewTokens"/> without end-of-text (<see cref="Rl.MissingEosPenalty"/>); null = off.</summary>
    public float? MissingEosPenalty { get; init; }

    /// <summary>The separate critic's trunk starts from the (first) reward model's trunk instead of the policy.</summary>
    public bool CriticFromRewardModel { get; init; }

    /// <summary>
    /// The reward-hacking guard's settings (null: no guard). Saved with the run, so a resume rebuilds the same guard
    /// and can restore its state (<see cref="CreateGuard"/>).
    /// </summary>
    public GuardConfig? Guard { get; init; }

    /// <summary>The guard only watches (<see cref="ObservingGuard"/>): it keeps <c>best/</c> and records where it would stop, but never stops the run.</summary>
    public bool GuardObserve { get; init; }

    /// <summary>The guard of <see cref="Guard"/> (watch-only with <see cref="GuardObserve"/>); null without one.</summary>
    public IRunGuard? CreateGuard()
    {
        if (Guard is null) return null;
        var guard = new RewardHackingGuard(Guard);
        return GuardObserve ? new ObservingGuard(guard) : guard;
    }

    /// <summary>Critic learning rate in effect.</summary>
    [JsonIgnore]
    public float CriticLr => CriticLearningRate ?? LearningRate;

    /// <inheritdoc/>
    protected override string SettingsName => "PPO";

    /// <inheritdoc/>
    protected override void AddProblems(List<ConfigProblem> problems)
    {
        void Check(bool ok, string field, string message) => TrainerConfig.Check(problems, ok, field, message);
        static bool Pos(float v) => v > 0 && float.IsFinite(v);
        static bool NonNeg(float v) => v >= 0 && float.IsFinite(v);
        Check(MinibatchSize >= 1 && MinibatchSize <= BatchSize, nameof(MinibatchSize), $"minibatch {MinibatchSize} must be in [1, batch {BatchSize}]");
        Check(Epochs >= 1, nameof(Epochs), $"epochs {Epochs} must be ≥ 1");
        Check(CriticLearningRate is null || Pos(CriticLearningRate.Value), nameof(CriticLearningRate), $"critic learning rate {CriticLearningRate} must be positive");
        Check(ClipRange > 0 && ClipRange < 1, nameof(ClipRange), $"clip range {ClipRange} must be in (0, 1)");
        Check(Pos(ValueClipRange), nameof(ValueClipRange), $"value clip range {ValueClipRange} must be positive");
        Check(NonNeg(ValueCoef), nameof(ValueCoef), $"value coefficient {ValueCoef} must be ≥ 0");
        Check(NonNeg(EntropyCoef), nameof(EntropyCoef), $"entropy coefficient {EntropyCoef} must be ≥ 0");
        Check(Gamma >= 0 && Gamma <= 1, nameof(Gamma), $"γ {Gamma} must be in [0, 1]");
        Check(Lambda >= 0 && Lambda <= 1, nameof(Lambda), $"λ {Lambda} must be in [0, 1]");
        Check(NonNeg(Beta), nameof(Beta), $"KL coefficient β {Beta} must be ≥ 0");
        Check(KlTarget is null || Pos(KlTarget.Value), nameof(KlTarget), $"KL target {KlTarget} must be positive");
        Check(KlHorizon >= 1, nameof(KlHorizon), $"KL horizon {KlHorizon} must be ≥ 1");
        Check(RewardClip is null || Pos(RewardClip.Value), nameof(RewardClip), $"reward clip {RewardClip} must be positive");
        Check(NonNeg(PtxCoef), nameof(PtxCoef), $"ptx coefficient {PtxCoef} must be ≥ 0");
        Check(PtxBatchSize >= 1, nameof(PtxBatchSize), $"ptx batch {PtxBatchSize} must be ≥ 1");
        Check(PtxSeqLen >= 2, nameof(PtxSeqLen), $"ptx sequence length {PtxSeqLen} must be ≥ 2");
        Check(MaxNewTokens >= 1, nameof(MaxNewTokens), $"max new tokens {MaxNewTokens} must be ≥ 1");
        Check(Pos(Temperature), nameof(Temperature), $"temperature {Temperature} must be positive");
        Check(SampleEvery >= 0, nameof(SampleEvery), $"sample interval {SampleEvery} must be ≥ 0");
        Check(SampleRows >= 1, nameof(SampleRows), $"sample rows {SampleRows} must be ≥ 1");
        Check(MissingEosPenalty is null || float.IsFinite(MissingEosPenalty.Value), nameof(MissingEosPenalty), $"missing end-of-text penalty {MissingEosPenalty} must be finite");
        base.AddProblems(problems);
    }

    /// <summary>The policy is handed to the trainer: no architecture or init checkpoint in the config.</summary>
    protected override bool RequiresModel => false;

    /// <summary>Also the sample-table cadence may change on resume.</summary>
    protected override TrainerConfig ResumeInvariant() => (PpoConfig)base.ResumeInvariant() with { SampleEvery = 0, SampleRows = 1 };
}
