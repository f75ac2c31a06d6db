using System.Globalization;
using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors.Optim;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Data;

namespace Rlhf.Training.Ppo;

/// <summary>
/// A PPO run's saved state, in <c>&lt;out&gt;/checkpoint/</c> (resumable) and <c>&lt;out&gt;/best/</c> (the guard's
/// best iteration, weights only):
/// <list type="bullet">
/// <item><c>model.safetensors</c> + <c>config.json</c> + tokenizer: the policy in its family's HF layout (usable by
/// <c>rlhf generate --model</c>); with a shared critic the value head <c>v_head.summary.*</c> is stored in the same file
/// (TRL's value-head layout);</item>
/// <item><c>critic/</c>: a separate critic's trunk + value head, HF layout;</item>
/// <item><c>optimizer.safetensors</c>, <c>critic_optimizer.safetensors</c>, <c>trainer_state.json</c> (<see cref="PpoState"/>): checkpoint only.</item>
/// </list>
/// Saves are atomic at the directory level as in <see cref="TrainingCheckpoint"/> (write <c>X.tmp/</c>, rename the old
/// <c>X/</c> away, rename the new one in, delete the old); <see cref="TrainingCheckpoint.Find"/> locates it.
/// </summary>
public static class PpoCheckpoint
{
    /// <summary>The separate critic's subdirectory.</summary>
    public const string CriticDirectory = "critic";

    /// <summary>The critic optimizer's state file.</summary>
    public const string CriticOptimizerFile = "critic_optimizer.safetensors";

    /// <summary>Saves the full training state into <c>&lt;outDir&gt;/checkpoint/</c>.</summary>
    public static string Save(string outDir, ICausalLm policy, Critic critic, BpeTokenizer tokenizer, IOptimizer policyOptimizer,
        IOptimizer? criticOptimizer, PpoState state)
    {
        ArgumentNullException.ThrowIfNull(policyOptimizer);
        ArgumentNullException.ThrowIfNull(state);
        return AtomicDirectory.Write(Path.Combine(outDir, RunLayout.CheckpointDirectory), tmp =>
        {
            WriteModels(tmp, policy, critic, tokenizer, state.Iteration);
            policyOptimizer.SaveState(Path.Combine(tmp, TrainingCheckpoint.OptimizerFile));
            criticOptimizer?.SaveState(Path.Combine(tmp, CriticOptimizerFile));
            File.WriteAllText(Path.Combine(tmp, TrainingCheckpoint.StateFile), JsonSerializer.Serialize(state, TrainingCheckpoint.Json));
        });
    }

    /// <summary>Saves policy and critic weights of iteration <paramref name="iteration"/> into <c>&lt;outDir&gt;/best/</c>, with <c>best.json</c> (iteration and metrics).</summary>
    public static string SaveBest(string outDir, ICausalLm policy, Critic critic, BpeTokenizer tokenizer, int iteration,
        IReadOnlyDictionary<string, double> metrics)
    {
        ArgumentNullException.ThrowIfNull(metrics);
        return AtomicDirectory.Write(Path.Combine(outDir, RunLayout.BestDirectory), tmp =>
        {
            WriteModels(tmp, policy, critic, tokenizer, iteration);
            var finite = metrics.Where(kv => double.IsFinite(kv.Value)).ToDictionary(kv => kv.Key, kv => kv.Value);
            File.WriteAllText(Path.Combine(tmp, "best.json"), JsonSerializer.Serialize(new { iteration, metrics = finite }, TrainingCheckpoint.Json));
        });
    }

    /// <summary>
    /// The checkpoint directory and state of run <paramref name="outDir"/>. Throws <see cref="TrainingException"/> when
    /// there is none or another trainer wrote it, <see cref="DataFormatException"/> when the state file is malformed.
    /// </summary>
    public static (string Directory, PpoState State) ReadState(string outDir) =>
        TrainingCheckpoint.ReadState<PpoState>(outDir, PpoTrainer.Kind, s => s.Kind);

    /// <summary>Loads policy, critic and optimizer states from checkpoint directory <paramref name="dir"/> into the given objects.</summary>
    public static void Load(string dir, ICausalLm policy, Critic critic, IOptimizer policyOptimizer, IOptimizer? criticOptimizer)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(critic);
        ArgumentNullException.ThrowIfNull(policyOptimizer);
        CausalLmCheckpoint.LoadInto(dir, critic.Shared ? [.. policy.Parameters(), .. critic.Head.Parameters()] : policy.Parameters());
        if (!critic.Shared) critic.Load(Path.Combine(dir, CriticDirectory));
        policyOptimizer.LoadState(Path.Combine(dir, TrainingCheckpoint.OptimizerFile));
        criticOptimizer?.LoadState(Path.Combine(dir, CriticOptimizerFile));
    }

    private static void WriteModels(string dir, ICausalLm policy, Critic critic, BpeTokenizer tokenizer, int iteration)
    {
        ArgumentNullException.ThrowIfNull(policy);
        ArgumentNullException.ThrowIfNull(critic);
        ArgumentNullException.ThrowIfNull(tokenizer);
        var metadata = new Dictionary<string, string> { ["step"] = iteration.ToString(CultureInfo.InvariantCulture), ["trainer"] = PpoTrainer.Kind };
        policy.Save(dir, critic.Shared ? critic.Head.Parameters() : null, metadata, tokenizer.EndOfTextId);
        tokenizer.Save(dir);
        if (!critic.Shared) critic.Save(Path.Combine(dir, CriticDirectory));
    }
}
