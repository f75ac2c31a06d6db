using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Lora;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors.Optim;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.Data;
using Rlhf.Data;

namespace Rlhf.Training.Common;

/// <summary>
/// The full training state in <c>&lt;out&gt;/checkpoint/</c>: the model in Hugging Face GPT-2 layout
/// (<c>model.safetensors</c>, <c>config.json</c>) with <c>tokenizer.json</c>, so the directory is also a usable model
/// (<c>rlhf generate --model</c>, <c>--init</c>); the optimizer moments (<c>optimizer.safetensors</c>); and
/// <c>trainer_state.json</c> (<see cref="TrainerState{TConfig, TSampler}"/>).
/// <para>
/// Saving is atomic at the directory level: everything is written into <c>checkpoint.tmp/</c>, then the old
/// <c>checkpoint/</c> is renamed to <c>checkpoint.old/</c>, the new one renamed into place and the old one deleted.
/// A crash leaves either the previous checkpoint or the new one; when it falls between the two renames only
/// <c>checkpoint.old/</c> exists, and <see cref="Find"/> resumes from it. Files are not fsynced one by one, so a power
/// loss right after a save may lose that save. One writer per run directory.
/// </para>
/// </summary>
public static class TrainingCheckpoint
{
    /// <summary>Trainer state file name.</summary>
    public const string StateFile = "trainer_state.json";

    /// <summary>Optimizer state file name.</summary>
    public const string OptimizerFile = "optimizer.safetensors";

    /// <summary>JSON settings of <c>trainer_state.json</c>: snake_case names, indented, NaN allowed (no evaluation yet).</summary>
    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
    };

    /// <summary>The checkpoint directory of run directory <paramref name="outDir"/> to resume from, or null when there is none.</summary>
    public static string? Find(string outDir)
    {
        return AtomicDirectory.Find(Path.Combine(outDir, RunLayout.CheckpointDirectory), StateFile); // checkpoint.old/ when a save died between its renames
    }

    /// <summary>
    /// A model directory given by the user: an HF checkpoint directory itself, or a run directory holding
    /// <c>checkpoint/</c> (so <c>--model out</c> works as well as <c>--model out/checkpoint</c>).
    /// </summary>
    public static string ResolveModelDirectory(string path)
    {
        if (File.Exists(Path.Combine(path, HfCheckpoint.ConfigFile)) || LoraCheckpoint.IsAdapterDirectory(path)) return path;
        if (Find(path) is { } run) return run;
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: no such model directory");
        throw new FileNotFoundException($"{path}: not a model directory (no {HfCheckpoint.ConfigFile}, and no {RunLayout.CheckpointDirectory}/ of a training run)");
    }

    /// <summary>
    /// Saves model, tokenizer, optimizer and <paramref name="state"/> into <c>&lt;outDir&gt;/checkpoint/</c>, atomically
    /// (see the type). <paramref name="extra"/> named tensors (heads) and <paramref name="metadata"/> go into
    /// <c>model.safetensors</c> beside the trunk. A model with LoRA adapters saves only the adapters (and
    /// <paramref name="extra"/>) in PEFT's layout (<see cref="LoraCheckpoint"/>); the base stays where it was.
    /// </summary>
    public static string Save<TConfig, TSampler>(string outDir, ICausalLm model, BpeTokenizer tokenizer, IOptimizer optimizer,
        TrainerState<TConfig, TSampler> state, IEnumerable<Rlhf.Tensors.Tensor>? extra = null,
        IReadOnlyDictionary<string, string>? metadata = null) where TConfig : TrainerConfig
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(optimizer);
        ArgumentNullException.ThrowIfNull(state);
        Directory.CreateDirectory(outDir);
        var meta = new Dictionary<string, string> { ["step"] = state.Step.ToString(CultureInfo.InvariantCulture), ["trainer"] = state.Kind };
        foreach (var (key, value) in metadata ?? new Dictionary<string, string>()) meta[key] = value;
        return AtomicDirectory.Write(Path.Combine(outDir, RunLayout.CheckpointDirectory), tmp =>
        {
            if (LoraAdapters.Find(model) is { } lora) LoraCheckpoint.Save(tmp, lora, extra, meta, extra is null ? "CAUSAL_LM" : "SEQ_CLS");
            else model.Save(tmp, extra, meta, tokenizer.EndOfTextId);
            tokenizer.Save(tmp);
            optimizer.SaveState(Path.Combine(tmp, OptimizerFile));
            File.WriteAllText(Path.Combine(tmp, StateFile), JsonSerializer.Serialize(state, Json));
        });
    }

    /// <summary>
    /// The checkpoint directory and trainer state of run <paramref name="outDir"/> for a resume by trainer
    /// <paramref name="kind"/>. Throws <see cref="TrainingException"/> when there is no checkpoint or another trainer
    /// wrote it, <see cref="DataFormatException"/> when the state file is malformed.
    /// </summary>
    public static (string Directory, TrainerState<TConfig, TSampler> State) ReadState<TConfig, TSampler>(string outDir, string kind)
        where TConfig : TrainerConfig => ReadState<TrainerState<TConfig, TSampler>>(outDir, kind, s => s.Kind);

    /// <summary>
    /// The checkpoint directory and <c>trainer_state.json</c> of run <paramref name="outDir"/> as any state type
    /// <typeparamref name="TState"/> whose writer is named by <paramref name="kindOf"/> (trainers with their own state
    /// records, e.g. PPO). Throws as <see cref="ReadState{TConfig, TSampler}"/>.
    /// </summary>
    public static (string Directory, TState State) ReadState<TState>(string outDir, string kind, Func<TState, string> kindOf) where TState : class
    {
        ArgumentNullException.ThrowIfNull(kindOf);
        string dir = Find(outDir) ?? throw new TrainingException(
            $"nothing to resume: no checkpoint in {outDir} (expected {Path.Combine(outDir, RunLayout.CheckpointDirectory, StateFile)}); start without --resume");
        string path = Path.Combine(dir, StateFile);
        TState? state;
        try { state = JsonSerializer.Deserialize<TState>(File.ReadAllText(path), Json); }
        catch (JsonException e) { throw new DataFormatException($"{path}: not a valid trainer state ({e.Message})", e); }
        if (state is null) throw new DataFormatException($"{path}: not a valid trainer state (null)");
        if (kindOf(state) != kind) throw new TrainingException($"{path}: this checkpoint was written by the {kindOf(state)} trainer, not {kind}");
        return (dir, state);
    }
}
