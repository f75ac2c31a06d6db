using System.Text.Json;
using System.Text.Json.Serialization;
using Rlhf.Tensors.Optim;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Games;

/// <summary>
/// A game trainer's resumable state in <c>&lt;out&gt;/checkpoint/</c>: <c>model.safetensors</c> (the network),
/// <c>optimizer.safetensors</c> (AdamW moments) and <c>trainer_state.json</c> (step, RNG state, config, …).
/// Written into <c>checkpoint.tmp/</c> and renamed into place, so a crash leaves the previous checkpoint or the new
/// one (the same protocol as <c>Rlhf.Training.Common.TrainingCheckpoint</c>, which is tied to GPT checkpoints).
/// </summary>
public static class GameCheckpoint
{
    /// <summary>Network file name (in the checkpoint and, for the final model, in the run directory).</summary>
    public const string ModelFile = "model.safetensors";

    private const string OptimizerFile = "optimizer.safetensors", StateFile = "trainer_state.json";

    internal static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        RespectNullableAnnotations = true,
    };

    /// <summary>The checkpoint directory of <paramref name="outDir"/> to resume from (<c>checkpoint/</c>, or <c>checkpoint.old/</c> when a save died between its renames).</summary>
    public static string Directory(string outDir)
    {
        string dir = Path.Combine(outDir, "checkpoint");
        return AtomicDirectory.Find(dir, StateFile) ?? dir;
    }

    /// <summary>Saves network, optimizer and <paramref name="state"/> atomically into <c>&lt;outDir&gt;/checkpoint/</c>.</summary>
    public static void Save<TState>(string outDir, PolicyValueNet net, IOptimizer optimizer, TState state, Action<string>? extra = null)
    {
        AtomicDirectory.Write(Path.Combine(outDir, "checkpoint"), tmp =>
        {
            net.Save(Path.Combine(tmp, ModelFile));
            optimizer.SaveState(Path.Combine(tmp, OptimizerFile));
            extra?.Invoke(tmp);
            File.WriteAllText(Path.Combine(tmp, StateFile), JsonSerializer.Serialize(state, Json));
        });
    }

    /// <summary>Only the trainer state of the checkpoint of <paramref name="outDir"/>.</summary>
    public static TState ReadState<TState>(string outDir)
    {
        string statePath = Path.Combine(Directory(outDir), StateFile);
        if (!File.Exists(statePath)) throw new FileNotFoundException($"nothing to resume: no {statePath}; start without --resume");
        try { return JsonSerializer.Deserialize<TState>(File.ReadAllText(statePath), Json) ?? throw new InvalidDataException($"{statePath}: empty trainer state"); }
        catch (JsonException e) { throw new InvalidDataException($"{statePath}: not a valid trainer state ({e.Message})", e); }
    }

    /// <summary>Loads the checkpoint of <paramref name="outDir"/> into a new network, <paramref name="optimizerFor"/>'s optimizer and the state; throws when there is none.</summary>
    public static (PolicyValueNet Net, IOptimizer Optimizer, TState State) Load<TState>(string outDir, Func<PolicyValueNet, IOptimizer> optimizerFor)
    {
        var state = ReadState<TState>(outDir);
        string dir = Directory(outDir);
        var net = PolicyValueNet.Load(Path.Combine(dir, ModelFile));
        var opt = optimizerFor(net);
        opt.LoadState(Path.Combine(dir, OptimizerFile));
        return (net, opt, state);
    }
}
