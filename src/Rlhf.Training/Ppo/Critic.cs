using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Heads;
using Rlhf.Tensors;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Ppo;

/// <summary>
/// PPO's value model V(s_t): a <see cref="ValueHead"/> (<c>v_head.summary</c>, TRL's name) on a language-model trunk of any family, read at the
/// states that predict each response token — the same columns <see cref="PolicyForward"/> reads log-probs from, so
/// V_t is the value of the state in which a_t is chosen. Either its own trunk (a copy of the policy or of the reward
/// model's trunk; the default, as in InstructGPT, TRL and OpenRLHF), or <see cref="Shared"/>: the policy's trunk with
/// only the head added (TRL's old <c>AutoModelForCausalLMWithValueHead</c>; cheaper, but value gradients then move the
/// policy too).
/// </summary>
public sealed class Critic
{
    private Critic(ICausalLm trunk, ValueHead head, bool shared) => (Trunk, Head, Shared) = (trunk, head, shared);

    /// <summary>The trunk (the policy itself when <see cref="Shared"/>).</summary>
    public ICausalLm Trunk { get; }

    /// <summary>The scalar head.</summary>
    public ValueHead Head { get; }

    /// <summary>True when the trunk is the policy's.</summary>
    public bool Shared { get; }

    /// <summary>A critic with its own trunk, a copy of <paramref name="init"/> (policy or reward-model trunk), and a fresh head.</summary>
    public static Critic Separate(ICausalLm init, ulong seed) => new(ModelCopy.Of(init), new ValueHead(init.HiddenSize, new Rng(seed)), false);

    /// <summary>A head on <paramref name="policy"/>'s trunk.</summary>
    public static Critic SharedWith(ICausalLm policy, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(policy);
        return new(policy, new ValueHead(policy.HiddenSize, new Rng(seed)), true);
    }

    /// <summary>What the critic trains: the head, plus the trunk unless shared (then the policy's optimizer owns it).</summary>
    public IReadOnlyList<Tensor> TrainableParameters() => Shared ? Head.Parameters() : [.. Trunk.Parameters(), .. Head.Parameters()];

    /// <summary>Values (B, L) of <paramref name="batch"/>'s response states, from a forward of the trunk.</summary>
    public Tensor Values(SequenceBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var hidden = Trunk.Forward(batch.Ids, batch.Batch, batch.Time, batch.AttentionMask);        // (B, T, C)
        return Head.Forward(Ops.Slice(hidden, 1, batch.PromptLength - 1, batch.ResponseLength));    // (B, L)
    }

    /// <summary>Values (B, L) from hidden states the policy already computed (shared trunk only).</summary>
    public Tensor Values(PolicyOutput output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!Shared) throw new InvalidOperationException("Critic: a separate critic computes its own hidden states");
        return Head.Forward(output.Hidden);
    }

    /// <summary>Values (B·L) without gradients, <paramref name="rows"/> rows per forward.</summary>
    public float[] ValuesNoGrad(SequenceBatch batch, int rows = 16)
    {
        ArgumentNullException.ThrowIfNull(batch);
        using var noGrad = Tensor.NoGrad();
        var result = new float[batch.Batch * batch.ResponseLength];
        for (int start = 0; start < batch.Batch; start += rows)
        {
            var part = batch.Rows(start, Math.Min(rows, batch.Batch - start));
            Values(part).ToArray().CopyTo(result, start * batch.ResponseLength);
        }
        return result;
    }

    /// <summary>
    /// Writes a separate critic as <c>directory</c> in its trunk family's HF layout (trunk + <c>v_head.*</c>); a shared critic's head is
    /// written with the policy instead (see <see cref="PpoCheckpoint"/>).
    /// </summary>
    public void Save(string directory)
    {
        if (Shared) throw new InvalidOperationException("Critic: a shared critic is saved with the policy");
        Trunk.Save(directory, Head.Parameters());
    }

    /// <summary>Loads a separate critic's trunk and head from <see cref="Save"/>'s directory.</summary>
    public void Load(string directory)
    {
        if (Shared) throw new InvalidOperationException("Critic: a shared critic is loaded with the policy");
        CausalLmCheckpoint.LoadInto(directory, [.. Trunk.Parameters(), .. Head.Parameters()]);
    }
}
