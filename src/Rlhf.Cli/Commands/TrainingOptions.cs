using System.CommandLine;
using Rlhf.Training.Common;

namespace Rlhf.Cli.Commands;

/// <summary>
/// The options shared by <c>rlhf pretrain</c> and <c>rlhf sft</c>, with defaults taken from the trainer's config
/// record so the help text and the library agree. <see cref="Apply{T}"/> writes them into a config: all of them for
/// a fresh run, only the ones typed for <c>--resume</c> (the rest come from the checkpoint, and the trainer refuses
/// a typed value that would change the run).
/// </summary>
internal sealed class TrainingOptions
{
    public Option<string> Out { get; } = new("--out") { Description = "Run directory: metrics.jsonl and checkpoint/ (model in HF layout + tokenizer.json, optimizer state, trainer_state.json).", Required = true };
    public Option<bool> Resume { get; } = new("--resume") { Description = "Continue the run in --out from its checkpoint, bit-identical to an uninterrupted run. Settings come from the checkpoint; only --steps, --eval-interval, --eval-batches, --checkpoint-interval (and SFT --epochs) may change." };
    public Option<int> Batch { get; }
    public Option<int?> SeqLen { get; } = new("--seq-len") { Description = "Tokens per row (default: the model context)." };
    public Option<int> Steps { get; }
    public Option<float> Lr { get; }
    public Option<float?> MinLr { get; } = new("--min-lr") { Description = "Learning rate at the last step, end of the cosine decay (default: --lr / 10)." };
    public Option<int> Warmup { get; }
    public Option<float> WeightDecay { get; }
    public Option<float> GradClip { get; }
    public Option<int> EvalInterval { get; }
    public Option<int> EvalBatches { get; }
    public Option<int> CheckpointInterval { get; }
    public Option<double> ValFraction { get; }
    public Option<ulong> Seed { get; }
    public Option<TimeSpan?> MaxWallTime { get; } = CreateMaxWallTime();
    public Option<bool> GradCheckpoint { get; } = CreateGradCheckpoint();
    public Option<string> FrozenDtype { get; } = CreateFrozenDtype();

    /// <summary>Whether the verb has frozen models (a reference): only then is <c>--frozen-dtype</c> offered.</summary>
    private readonly bool _frozenModels;

    /// <summary><c>--grad-checkpoint</c>: activation checkpointing per block (a setting of this session, like --max-wall-time).</summary>
    public static Option<bool> CreateGradCheckpoint() => new("--grad-checkpoint")
    {
        Description = "Activation checkpointing: keep only each block's input and recompute its activations in backward (less memory, about one extra forward per step; identical results). May change on --resume.",
    };

    /// <summary><c>--frozen-dtype f32|bf16</c>: how the frozen models (reference, reward models) are stored.</summary>
    public static Option<string> CreateFrozenDtype()
    {
        var option = new Option<string>("--frozen-dtype")
        {
            Description = "Storage of the frozen models (reference policy, reward models): f32, or bf16 (half the memory, forward-only, float32 accumulation; their log-probs and scores carry the bf16 rounding of the weights).",
            DefaultValueFactory = _ => "f32",
        };
        option.AcceptOnlyFromAmong("f32", "bf16");
        return option;
    }

    /// <summary>The <see cref="Rlhf.Tensors.Dtype"/> a <c>--frozen-dtype</c> value names.</summary>
    public static Rlhf.Tensors.Dtype ParseDtype(string value) => value == "bf16" ? Rlhf.Tensors.Dtype.BF16 : Rlhf.Tensors.Dtype.F32;
    public LoraOptions Lora { get; } = new();
    public Option<string?> Adapter { get; } = new("--adapter") { Description = "Continue training the LoRA adapters of this PEFT adapter directory (or LoRA run) on the --init base (default: the adapter's base_model_name_or_path); settings from its adapter_config.json." };

    /// <summary>
    /// <c>--max-wall-time</c>: stop cleanly with a resumable checkpoint after this long (this session only, not saved
    /// with the run). Accepts seconds (<c>90</c>), or a number with s/m/h (<c>90s</c>, <c>30m</c>, <c>2h</c>).
    /// </summary>
    public static Option<TimeSpan?> CreateMaxWallTime() => DurationOption("--max-wall-time",
        "Stop cleanly after this long, with a checkpoint that --resume continues (e.g. 90s, 30m, 2h; a plain number is seconds). Not saved with the run.");

    /// <summary>An option holding a duration: seconds (<c>90</c>, <c>0.5</c>), or a number with s/m/h (<c>90s</c>, <c>30m</c>, <c>2h</c>).</summary>
    public static Option<TimeSpan?> DurationOption(string name, string description) => new(name)
    {
        Description = description,
        CustomParser = r =>
        {
            string text = r.Tokens.Count == 1 ? r.Tokens[0].Value.Trim() : "";
            double scale = text.EndsWith('h') ? 3600 : text.EndsWith('m') ? 60 : 1;
            string number = text.TrimEnd('h', 'm', 's');
            if (double.TryParse(number, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v) && v >= 0 && double.IsFinite(v))
                return TimeSpan.FromSeconds(v * scale);
            r.AddError($"{name}: '{text}' is not a duration ≥ 0 (e.g. 90s, 30m, 2h, or seconds)");
            return null;
        },
    };

    /// <summary>Options with <paramref name="d"/>'s defaults; <paramref name="frozenModels"/>: the verb has frozen models and takes <c>--frozen-dtype</c>.</summary>
    public TrainingOptions(TrainerConfig d, string stepsDescription, string valDescription, bool frozenModels = false)
    {
        _frozenModels = frozenModels;
        Batch = new Option<int>("--batch") { Description = "Rows per optimizer step.", DefaultValueFactory = _ => d.BatchSize };
        Steps = new Option<int>("--steps") { Description = stepsDescription, DefaultValueFactory = _ => d.MaxSteps };
        Lr = new Option<float>("--lr") { Description = "Peak learning rate (AdamW, β 0.9/0.95).", DefaultValueFactory = _ => d.LearningRate };
        Warmup = new Option<int>("--warmup") { Description = "Linear warmup steps before the cosine decay.", DefaultValueFactory = _ => d.WarmupSteps };
        WeightDecay = new Option<float>("--weight-decay") { Description = "AdamW decoupled weight decay (matrices and embeddings only).", DefaultValueFactory = _ => d.WeightDecay };
        GradClip = new Option<float>("--grad-clip") { Description = "Clip the global gradient norm to this (0 = off).", DefaultValueFactory = _ => d.GradClip };
        EvalInterval = new Option<int>("--eval-interval") { Description = "Evaluate the held-out loss every N steps (also at step 0 and at the end; 0 = only those).", DefaultValueFactory = _ => d.EvalInterval };
        EvalBatches = new Option<int>("--eval-batches") { Description = "Held-out batches per evaluation, the same ones each time (0 = no evaluation).", DefaultValueFactory = _ => d.EvalBatches };
        CheckpointInterval = new Option<int>("--checkpoint-interval") { Description = "Save the full training state every N steps (always at the end; 0 = only at the end).", DefaultValueFactory = _ => d.CheckpointInterval };
        ValFraction = new Option<double>("--val-fraction") { Description = valDescription, DefaultValueFactory = _ => d.ValFraction };
        Seed = new Option<ulong>("--seed") { Description = "Seed of the model initialisation and the batch order.", DefaultValueFactory = _ => d.Seed };
    }

    /// <summary>Adds every option to <paramref name="command"/>.</summary>
    public void AddTo(Command command)
    {
        foreach (Option o in (Option[])[Out, Resume, Batch, SeqLen, Steps, Lr, MinLr, Warmup, WeightDecay, GradClip, EvalInterval, EvalBatches, CheckpointInterval, ValFraction, Seed, MaxWallTime, GradCheckpoint, .. Lora.All, Adapter])
            command.Add(o);
        if (_frozenModels) command.Add(FrozenDtype);
    }

    /// <summary>The options written into <paramref name="config"/>: every one, or (<paramref name="onlyGiven"/>) only those typed.</summary>
    public T Apply<T>(ParseResult p, T config, bool onlyGiven) where T : TrainerConfig
    {
        bool Use(Option o) => !onlyGiven || p.Given(o);
        TrainerConfig c = config with { OutDir = p.GetValue(Out)! };
        if (Use(Batch)) c = c with { BatchSize = p.GetValue(Batch) };
        if (Use(SeqLen)) c = c with { SeqLen = p.GetValue(SeqLen) };
        if (Use(Steps)) c = c with { MaxSteps = p.GetValue(Steps) };
        if (Use(Lr)) c = c with { LearningRate = p.GetValue(Lr) };
        if (Use(MinLr)) c = c with { MinLearningRate = p.GetValue(MinLr) };
        if (Use(Warmup)) c = c with { WarmupSteps = p.GetValue(Warmup) };
        if (Use(WeightDecay)) c = c with { WeightDecay = p.GetValue(WeightDecay) };
        if (Use(GradClip)) c = c with { GradClip = p.GetValue(GradClip) };
        if (Use(EvalInterval)) c = c with { EvalInterval = p.GetValue(EvalInterval) };
        if (Use(EvalBatches)) c = c with { EvalBatches = p.GetValue(EvalBatches) };
        if (Use(CheckpointInterval)) c = c with { CheckpointInterval = p.GetValue(CheckpointInterval) };
        if (Use(ValFraction)) c = c with { ValFraction = p.GetValue(ValFraction) };
        if (Use(Seed)) c = c with { Seed = p.GetValue(Seed) };
        if (_frozenModels && Use(FrozenDtype)) c = c with { FrozenDtype = ParseDtype(p.GetValue(FrozenDtype)!) };
        var lora = Lora.Config(p);
        if (Use(Lora.Rank) && lora is not null) c = c with { Lora = lora };
        if (Use(Adapter)) c = c with { Adapter = p.GetValue(Adapter) };
        // settings of this session: never from the checkpoint
        c = c with { MaxWallTime = p.GetValue(MaxWallTime), GradientCheckpointing = p.GetValue(GradCheckpoint) };
        return (T)c;
    }

    /// <summary>The option that sets each <see cref="TrainerConfig"/> field, to report the config's own checks under the name the user typed.</summary>
    private Dictionary<string, Option> OptionOf() => new(StringComparer.Ordinal)
    {
        [nameof(TrainerConfig.OutDir)] = Out,
        [nameof(TrainerConfig.BatchSize)] = Batch,
        [nameof(TrainerConfig.SeqLen)] = SeqLen,
        [nameof(TrainerConfig.MaxSteps)] = Steps,
        [nameof(TrainerConfig.LearningRate)] = Lr,
        [nameof(TrainerConfig.MinLearningRate)] = MinLr,
        [nameof(TrainerConfig.WarmupSteps)] = Warmup,
        [nameof(TrainerConfig.WeightDecay)] = WeightDecay,
        [nameof(TrainerConfig.GradClip)] = GradClip,
        [nameof(TrainerConfig.EvalInterval)] = EvalInterval,
        [nameof(TrainerConfig.EvalBatches)] = EvalBatches,
        [nameof(TrainerConfig.CheckpointInterval)] = CheckpointInterval,
        [nameof(TrainerConfig.ValFraction)] = ValFraction,
        [nameof(TrainerConfig.MaxWallTime)] = MaxWallTime,
        [nameof(TrainerConfig.Adapter)] = Adapter,
    };

    /// <summary>
    /// Throws <see cref="TrainingException"/> with every setting of the finished <paramref name="config"/> out of range,
    /// each under its option (<c>--batch: batch size 0 must be ≥ 1</c>): the rules themselves are the config's
    /// (<see cref="TrainerConfig.Problems"/>), stated once. <paramref name="methodOptions"/> names the options of the
    /// method's own fields (<c>(nameof(DpoConfig.Beta), beta)</c>).
    /// </summary>
    public void Check(TrainerConfig config, params (string Field, Option Option)[] methodOptions)
    {
        var optionOf = OptionOf();
        foreach (var (field, option) in Lora.FieldOptions) optionOf[field] = option;
        foreach (var (field, option) in methodOptions) optionOf[field] = option;
        CommandSupport.ThrowProblems(config.Problems(), optionOf);
    }
}
