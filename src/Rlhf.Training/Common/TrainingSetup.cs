using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Lora;
using Rlhf.Tensors;
using Rlhf.Models.Tokenization;
using Rlhf.Data.Metrics;

namespace Rlhf.Training.Common;

/// <summary>The start of every training run: which model, whether it fits the tokenizer, the metrics log.</summary>
public static class TrainingSetup
{
    /// <summary>Metrics log file name inside the run directory.</summary>
    public const string MetricsFile = "metrics.jsonl";

    /// <summary>
    /// The start of every trainer's run, for any <see cref="ICausalLm"/> family (GPT-2, Llama, Qwen2, Qwen3): validates
    /// the config, reads the run's checkpoint state when resuming, loads the model (<see cref="LoadModel"/>), fixes the
    /// config's sequence length (and, for GPT-2, its architecture <see cref="TrainerConfig.Model"/>; other families
    /// always come from a checkpoint) from it, refuses a resume whose settings changed, and checks that tokenizer and
    /// sequence length fit the model.
    /// </summary>
    public static (ICausalLm Model, TConfig Config, TrainerState<TConfig, TSampler>? State, string? ResumeDirectory) Start<TConfig, TSampler>(
        TConfig config, string kind, bool resume, BpeTokenizer tokenizer) where TConfig : TrainerConfig
    {
        ArgumentNullException.ThrowIfNull(config);
        config.Validate();
        TrainerState<TConfig, TSampler>? state = null;
        string? resumeDir = null;
        if (resume) (resumeDir, state) = TrainingCheckpoint.ReadState<TConfig, TSampler>(config.OutDir, kind);
        var model = LoadModel(config, resumeDir);
        model.GradientCheckpointing = config.GradientCheckpointing;
        var cfg = (TConfig)(config with { Model = (model as Gpt)?.Config, SeqLen = config.SeqLen ?? model.MaxPositions });
        if (state is not null) TrainerConfig.CheckResumable(state.Config, cfg);
        CheckModel(model, tokenizer, cfg.SeqLen!.Value);
        return (model, cfg, state, resumeDir);
    }

    /// <summary>
    /// The model a run starts from: the run's own checkpoint when resuming (<paramref name="resumeDirectory"/>), else
    /// the init checkpoint, else a fresh <see cref="TrainerConfig.Model"/> seeded with <see cref="TrainerConfig.Seed"/>.
    /// A fresh run refuses a run directory that already holds a checkpoint, so an earlier run is never overwritten.
    /// <para>
    /// LoRA: a LoRA run's checkpoint resumes as base + its adapters; <see cref="TrainerConfig.Adapter"/> attaches a
    /// saved adapter to the base (trainable); <see cref="TrainerConfig.Lora"/> attaches fresh adapters to the init
    /// checkpoint. Either way the base is frozen and <see cref="TrainableParameters"/> are the adapters.
    /// </para>
    /// </summary>
    public static ICausalLm LoadModel(TrainerConfig config, string? resumeDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (resumeDirectory is not null)
            return LoraCheckpoint.IsAdapterDirectory(resumeDirectory) ? LoraCheckpoint.Load(resumeDirectory, null, out _).Model : CausalLmCheckpoint.Load(resumeDirectory);
        CheckFresh(config.OutDir);
        string? initDir = config.InitCheckpoint is { } init ? TrainingCheckpoint.ResolveModelDirectory(init) : null;
        if (config.Adapter is { } adapter)
        {
            string adapterDir = TrainingCheckpoint.ResolveModelDirectory(adapter);
            if (!LoraCheckpoint.IsAdapterDirectory(adapterDir))
                throw new TrainingException($"{adapter}: not a LoRA adapter directory (no {LoraCheckpoint.ConfigFile})");
            return LoraCheckpoint.Load(adapterDir, initDir, out _).Model;
        }
        if (initDir is null)
            return new Gpt(config.Model ?? throw new TrainingException("neither a model architecture nor an init checkpoint is given"), config.Seed);
        if (config.Lora is { } lora && LoraCheckpoint.IsAdapterDirectory(initDir))
            throw new TrainingException($"--init {config.InitCheckpoint} is a LoRA adapter: continue training it with --adapter {config.InitCheckpoint} "
                + "(and its base as --init), or merge it into a full model first (rlhf model merge) to train new adapters on it");
        var model = CausalLmCheckpoint.Load(initDir);
        if (config.Lora is { } settings)
        {
            try { LoraAdapters.Attach(model, settings, config.Seed, Path.GetFullPath(initDir)); }
            catch (ArgumentException e) { throw new TrainingException(e.Message, e); }
        }
        return model;
    }

    /// <summary>The tensors a trainer optimizes: the LoRA adapters when the model has them, else all of its parameters.</summary>
    public static IReadOnlyList<Tensor> TrainableParameters(ICausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return LoraAdapters.Find(model)?.Parameters() ?? model.Parameters();
    }

    /// <summary>Throws <see cref="TrainingException"/> when <paramref name="outDir"/> already holds a run's checkpoint (a fresh run would overwrite it).</summary>
    public static void CheckFresh(string outDir)
    {
        if (TrainingCheckpoint.Find(outDir) is { } existing)
            throw new TrainingException($"{outDir} already holds a training run ({existing}); continue it with --resume, "
                + "or choose another output directory (or delete it)");
    }

    /// <summary>Throws <see cref="TrainingException"/> when the tokenizer's ids or the sequence length do not fit the model.</summary>
    public static void CheckModel(ICausalLm model, BpeTokenizer tokenizer, int seqLen)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (tokenizer.VocabSize > model.VocabSize)
            throw new TrainingException($"the tokenizer has {tokenizer.VocabSize} tokens but the model's vocabulary only {model.VocabSize}; "
                + "use the tokenizer the model was trained with");
        if (seqLen > model.MaxPositions)
            throw new TrainingException($"sequence length {seqLen} exceeds the model context ({model.MaxPositions} positions)");
    }

    /// <summary>A new metrics log (fresh run), or the old one cut back to <paramref name="resumedStep"/> (resume).</summary>
    public static MetricsWriter OpenMetrics(string outDir, int? resumedStep)
    {
        Directory.CreateDirectory(outDir);
        string path = Path.Combine(outDir, MetricsFile);
        return resumedStep is int step ? MetricsWriter.Resume(path, step) : MetricsWriter.Create(path);
    }

    /// <summary>One-line description of a model for run logs, e.g. <c>4.2M parameters (4 layers, 4 heads, d=256, context 128, vocab 4096)</c>.</summary>
    public static string Describe(ICausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        string shape = model switch
        {
            Gpt { Config: var c } => $"{c.NLayer} layers, {c.NHead} heads, d={c.NEmbd}",
            Llama { Config: var c } => $"{c.ModelType}, {c.NumLayers} layers, {c.NumHeads} heads ({c.NumKvHeads} K/V), d={c.HiddenSize}",
            _ => model.ModelType,
        };
        string lora = LoraAdapters.Find(model) is { } a
            ? $"; LoRA r {a.Config.Rank}, alpha {a.Config.Alpha:G4} on {a.Adapters.Count} projections: {a.ParameterCount / 1e6:F3}M trainable, base frozen"
            : "";
        return $"{model.ParameterCount / 1e6:F2}M parameters ({shape}, context {model.MaxPositions}, vocab {model.VocabSize}){lora}";
    }
}
