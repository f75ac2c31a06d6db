using Rlhf.Models;
using Rlhf.Models.Checkpoints;
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
        var cfg = (TConfig)(config with { Model = (model as Gpt)?.Config, SeqLen = config.SeqLen ?? model.MaxPositions });
        if (state is not null) TrainerConfig.CheckResumable(state.Config, cfg);
        CheckModel(model, tokenizer, cfg.SeqLen!.Value);
        return (model, cfg, state, resumeDir);
    }

    /// <summary>
    /// The model a run starts from: the run's own checkpoint when resuming (<paramref name="resumeDirectory"/>), else
    /// the init checkpoint, else a fresh <see cref="TrainerConfig.Model"/> seeded with <see cref="TrainerConfig.Seed"/>.
    /// A fresh run refuses a run directory that already holds a checkpoint, so an earlier run is never overwritten.
    /// </summary>
    public static ICausalLm LoadModel(TrainerConfig config, string? resumeDirectory)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (resumeDirectory is not null) return CausalLmCheckpoint.Load(resumeDirectory);
        CheckFresh(config.OutDir);
        if (config.InitCheckpoint is { } init) return CausalLmCheckpoint.Load(TrainingCheckpoint.ResolveModelDirectory(init));
        return new Gpt(config.Model ?? throw new TrainingException("neither a model architecture nor an init checkpoint is given"), config.Seed);
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
        return $"{model.ParameterCount / 1e6:F2}M parameters ({shape}, context {model.MaxPositions}, vocab {model.VocabSize})";
    }
}
