using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Rlhf.Models;
using Rlhf.Models.Lora;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;

namespace Rlhf.Training.Common;

/// <summary>
/// Settings shared by the trainers (nanoGPT train.py's globals): model source, batch shape, AdamW with a warmup +
/// cosine learning-rate schedule, gradient clipping, evaluation, checkpointing, seed. Derived records add their own
/// (<see cref="Pretrain.PretrainConfig"/>, <see cref="Sft.SftConfig"/>). Stored in <c>trainer_state.json</c>; a
/// resumed run must use the same values except for the fields <see cref="CheckResumable"/> lets change.
/// </summary>
public abstract record TrainerConfig
{
    /// <summary>Run directory: <c>metrics.jsonl</c> and <c>checkpoint/</c> go here.</summary>
    public required string OutDir { get; init; }

    /// <summary>Architecture of a fresh model (initialised from <see cref="Seed"/>); ignored when <see cref="InitCheckpoint"/> is set.</summary>
    public GptConfig? Model { get; init; }

    /// <summary>HF checkpoint directory whose weights (and architecture) the run starts from; null: a fresh <see cref="Model"/>.</summary>
    public string? InitCheckpoint { get; init; }

    /// <summary>
    /// LoRA (<see cref="LoraConfig"/>): train low-rank adapters on the targeted projections of the frozen
    /// <see cref="InitCheckpoint"/> (only the adapters get gradients and optimizer state; checkpoints hold the adapters
    /// in PEFT's layout); null: full fine-tuning.
    /// </summary>
    public LoraConfig? Lora { get; init; }

    /// <summary>
    /// A PEFT adapter directory (or a LoRA run) whose adapters the run continues training on top of
    /// <see cref="InitCheckpoint"/> (null: the adapter's own <c>base_model_name_or_path</c>); the LoRA settings come
    /// from its adapter_config.json.
    /// </summary>
    public string? Adapter { get; init; }

    /// <summary>
    /// The input files the run reads (training text, examples, preferences or prompts), saved with the run so that
    /// <c>--resume</c> alone reads them again; a resume may name them anew (moved files), the data itself must match.
    /// </summary>
    public string[]? Data { get; init; }

    /// <summary>
    /// How prompts and responses become ids (<c>--chat-template</c>): null or "auto" = the tokenizer's chat_template
    /// when it has one, else the plain User:/Assistant: format; "none" = the plain format; "chatml", "qwen3", "llama3"
    /// = that chat format (<see cref="Rlhf.Models.Tokenization.ChatTemplate.For"/>).
    /// </summary>
    public string? ChatTemplateName { get; init; }

    /// <summary>Rows per step, B.</summary>
    public int BatchSize { get; init; } = 8;

    /// <summary>Sequence length T (pretraining: window; SFT: max prompt + response tokens); null: the model context.</summary>
    public int? SeqLen { get; init; }

    /// <summary>Optimizer steps to run (SFT: 0 means <see cref="Sft.SftConfig.Epochs"/> epochs).</summary>
    public int MaxSteps { get; init; } = 1000;

    /// <summary>Peak learning rate, reached after the warmup.</summary>
    public float LearningRate { get; init; } = 1e-3f;

    /// <summary>Floor of the cosine decay, reached at the last step; null: <see cref="LearningRate"/> / 10.</summary>
    public float? MinLearningRate { get; init; }

    /// <summary>Linear warmup steps (clamped to the run length).</summary>
    public int WarmupSteps { get; init; } = 100;

    /// <summary>AdamW decoupled weight decay on matrices and embeddings (not biases or LayerNorm gains).</summary>
    public float WeightDecay { get; init; } = 0.1f;

    /// <summary>Gradients are scaled down to this global L2 norm when larger; 0 disables clipping.</summary>
    public float GradClip { get; init; } = 1f;

    /// <summary>Evaluate the held-out loss every this many steps (and at step 0 and the last step); 0: only at the last step.</summary>
    public int EvalInterval { get; init; } = 100;

    /// <summary>Held-out batches per evaluation (the same batches every time); 0 disables evaluation.</summary>
    public int EvalBatches { get; init; } = 20;

    /// <summary>Save the full training state every this many steps (always at the end); 0: only at the end.</summary>
    public int CheckpointInterval { get; init; } = 500;

    /// <summary>Fraction of the data held out for evaluation, in [0, 1).</summary>
    public double ValFraction { get; init; } = 0.05;

    /// <summary>Seeds the fresh model's initialisation and the batch order.</summary>
    public ulong Seed { get; init; } = 1337;

    /// <summary>
    /// Activation (gradient) checkpointing per block for the trained model(s) (<see cref="ICausalLm.GradientCheckpointing"/>):
    /// less memory for about one extra forward per step, with bit-identical values and gradients. A setting of this
    /// session (like <see cref="MaxWallTime"/>): saved for the record, but a resume may turn it on or off.
    /// </summary>
    public bool GradientCheckpointing { get; init; }

    /// <summary>
    /// How the run's frozen models are stored (the DPO and GRPO reference, PPO's reference and reward models):
    /// <see cref="Dtype.F32"/>, or <see cref="Dtype.BF16"/> (half the memory, forward-only, float32 accumulation; their
    /// log-probs and scores then carry the bf16 rounding of the weights). Trainers without frozen models ignore it.
    /// </summary>
    [JsonConverter(typeof(JsonStringEnumConverter<Dtype>))]
    public Dtype FrozenDtype { get; init; } = Dtype.F32;

    /// <summary>
    /// Stop cleanly (with a checkpoint that resumes) once the run has taken this long in this session; null: no
    /// limit. Checked before each step, so a step already started finishes. A setting of this session, not of the
    /// run: not saved in the checkpoint (a resumed run has a limit only when it is given again).
    /// </summary>
    [JsonIgnore]
    public TimeSpan? MaxWallTime { get; init; }

    /// <summary>The loop's cadence for a run of <paramref name="totalSteps"/> steps (<see cref="TrainingLoop"/>).</summary>
    public LoopSettings Loop(int totalSteps) => new(OutDir, totalSteps, EvalInterval, CheckpointInterval, MaxWallTime);

    /// <summary>The learning rate per step for a run of <paramref name="totalSteps"/> steps: warmup, then cosine to the floor at the last step.</summary>
    public LrSchedule Schedule(int totalSteps)
    {
        int warmup = Math.Min(WarmupSteps, totalSteps);
        return new LrSchedule(LearningRate, MinLearningRate ?? LearningRate / 10, warmup, Math.Max(totalSteps, warmup));
    }

    /// <summary>AdamW settings (β1 0.9, β2 0.95, ε 1e-8 as nanoGPT; decay on rank ≥ 2 parameters).</summary>
    public AdamWConfig Optimizer() => new(LearningRate, WeightDecay: WeightDecay);

    /// <summary>Throws <see cref="TrainingException"/> listing every value out of range (<see cref="Problems"/>).</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new TrainingException($"invalid {SettingsName} settings: {string.Join("; ", problems.Select(p => p.Message))}");
    }

    /// <summary>
    /// Every setting out of range, each with the property it belongs to: the one statement of these rules
    /// (<see cref="Validate"/> throws with them; the CLI reports them under its option names).
    /// </summary>
    public IReadOnlyList<ConfigProblem> Problems()
    {
        var problems = new List<ConfigProblem>();
        AddProblems(problems);
        return problems;
    }

    /// <summary>What <see cref="Validate"/> calls these settings in its message ("training", "PPO", …).</summary>
    protected virtual string SettingsName => "training";

    /// <summary>Adds a <see cref="ConfigProblem"/> for <paramref name="field"/> when <paramref name="ok"/> is false.</summary>
    protected static void Check(List<ConfigProblem> problems, bool ok, string field, string message)
    {
        if (!ok) problems.Add(new ConfigProblem(field, message));
    }

    /// <summary>Adds the problems of the shared settings; a derived config adds its own fields' and calls this.</summary>
    protected virtual void AddProblems(List<ConfigProblem> problems)
    {
        void Check(bool ok, string field, string message) => TrainerConfig.Check(problems, ok, field, message);
        Check(!string.IsNullOrWhiteSpace(OutDir), nameof(OutDir), "the output directory is empty");
        Check(!RequiresModel || Model is not null || InitCheckpoint is not null, nameof(Model), "neither a model architecture nor an init checkpoint is given");
        try { Model?.Validate(); }
        catch (ArgumentException e) { problems.Add(new ConfigProblem(nameof(Model), e.Message)); }
        Check(BatchSize >= 1, nameof(BatchSize), $"batch size {BatchSize} must be ≥ 1");
        Check(SeqLen is null or >= 2, nameof(SeqLen), $"sequence length {SeqLen} must be ≥ 2");
        Check(MaxSteps >= 0, nameof(MaxSteps), $"max steps {MaxSteps} must be ≥ 0");
        Check(LearningRate > 0 && float.IsFinite(LearningRate), nameof(LearningRate), $"learning rate {LearningRate} must be positive");
        Check(MinLearningRate is null || (MinLearningRate >= 0 && MinLearningRate <= LearningRate), nameof(MinLearningRate), $"min learning rate {MinLearningRate} must be in [0, learning rate]");
        Check(WarmupSteps >= 0, nameof(WarmupSteps), $"warmup steps {WarmupSteps} must be ≥ 0");
        Check(WeightDecay >= 0 && float.IsFinite(WeightDecay), nameof(WeightDecay), $"weight decay {WeightDecay} must be ≥ 0");
        Check(GradClip >= 0 && float.IsFinite(GradClip), nameof(GradClip), $"grad clip {GradClip} must be ≥ 0 (0 = off)");
        Check(EvalInterval >= 0, nameof(EvalInterval), $"eval interval {EvalInterval} must be ≥ 0");
        Check(EvalBatches >= 0, nameof(EvalBatches), $"eval batches {EvalBatches} must be ≥ 0");
        Check(CheckpointInterval >= 0, nameof(CheckpointInterval), $"checkpoint interval {CheckpointInterval} must be ≥ 0");
        Check(ValFraction >= 0 && ValFraction < 1, nameof(ValFraction), $"validation fraction {ValFraction} must be in [0, 1)");
        Check(MaxWallTime is null || MaxWallTime >= TimeSpan.Zero, nameof(MaxWallTime), $"max wall time {MaxWallTime} must be ≥ 0");
        foreach (var (field, message) in Lora?.Problems() ?? []) Check(false, "Lora" + field, message);
        Check(Lora is null || Adapter is null, nameof(Adapter), "an adapter's LoRA settings come from its adapter_config.json: give --adapter without --lora-r/--lora-alpha/--lora-dropout/--lora-targets");
        Check(Lora is null || !RequiresModel || InitCheckpoint is not null, nameof(Lora), "LoRA trains adapters on a base model: give it with --init");
    }

    /// <summary>Whether the config must name the model (architecture or init checkpoint); false where the trainer is handed its models (PPO).</summary>
    protected virtual bool RequiresModel => true;

    /// <summary>This config without the fields a resumed run may change (run length, evaluation and checkpoint cadence, paths).</summary>
    protected virtual TrainerConfig ResumeInvariant() =>
        this with { OutDir = "", InitCheckpoint = null, Adapter = null, Data = null, MaxSteps = 0, EvalInterval = 0, EvalBatches = 0, CheckpointInterval = 0, MaxWallTime = null, GradientCheckpointing = false };

    /// <summary>
    /// Throws <see cref="TrainingException"/> naming every setting in which <paramref name="current"/> differs from the
    /// checkpoint's <paramref name="saved"/>, except those a resume may change (max steps, eval and checkpoint cadence,
    /// paths): any other change would make the resumed run differ from an uninterrupted one.
    /// </summary>
    public static void CheckResumable(TrainerConfig saved, TrainerConfig current)
    {
        ArgumentNullException.ThrowIfNull(saved);
        ArgumentNullException.ThrowIfNull(current);
        var a = (JsonObject)JsonSerializer.SerializeToNode(saved.ResumeInvariant(), saved.GetType(), TrainingCheckpoint.Json)!;
        var b = (JsonObject)JsonSerializer.SerializeToNode(current.ResumeInvariant(), current.GetType(), TrainingCheckpoint.Json)!;
        var diffs = new List<string>();
        foreach (string key in a.Select(kv => kv.Key).Union(b.Select(kv => kv.Key)))
        {
            string x = a[key]?.ToJsonString() ?? "null", y = b[key]?.ToJsonString() ?? "null";
            if (x != y) diffs.Add($"{key} {x} → {y}");
        }
        if (diffs.Count > 0)
            throw new TrainingException($"cannot resume exactly with changed settings ({string.Join("; ", diffs)}); "
                + "only the number of steps, the eval and checkpoint intervals, eval batches and the wall-time limit may change on resume");
    }
}
