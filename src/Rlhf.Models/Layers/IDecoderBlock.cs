using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>One transformer block of a decoder stack (<see cref="Block"/> for GPT-2, <see cref="LlamaBlock"/> for Llama / Qwen).</summary>
public interface IDecoderBlock
{
    /// <summary>The block's own weights.</summary>
    IEnumerable<Tensor> Parameters();

    /// <summary>The LoRA adapter tensors attached to the block's projections (none without LoRA).</summary>
    IEnumerable<Tensor> AdapterParameters();

    /// <summary>(B, T, C) → (B, T, C) over a full sequence.</summary>
    Tensor Forward(Tensor x, AttentionPass pass);
}
