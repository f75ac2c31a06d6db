using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>
/// The block loop of every model family's full forward: each block in turn, with activation checkpointing per block
/// when the model asks for it (<see cref="ICausalLm.GradientCheckpointing"/>; not for a bf16-frozen model, which has no
/// backward): the block's activations are recomputed in backward from its input, its weights and its LoRA adapters.
/// </summary>
public static class DecoderStack
{
    /// <summary>Runs <paramref name="x"/> (B, T, C) through <paramref name="blocks"/> of <paramref name="model"/>.</summary>
    public static Tensor Forward(ICausalLm model, IEnumerable<IDecoderBlock> blocks, Tensor x, AttentionPass pass)
    {
        bool checkpoint = model.GradientCheckpointing && model.FrozenDtype != Dtype.BF16;
        if (model.GradientCheckpointing && Lora.LoraAdapters.Find(model) is { Config.Dropout: > 0 })
            throw new NotSupportedException("gradient checkpointing recomputes each block, which would draw new LoRA dropout masks: use LoRA dropout 0 with it");
        foreach (var block in blocks)
            x = checkpoint
                ? Ops.Checkpoint(h => block.Forward(h, pass), x, [.. block.Parameters(), .. block.AdapterParameters()])
                : block.Forward(x, pass);
        return x;
    }
}
