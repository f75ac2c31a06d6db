using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>
/// A linear projection a LoRA adapter can sit on (<see cref="Linear"/>, GPT-2's Conv1D; <see cref="Dense"/>,
/// torch.nn.Linear): its weight, which way round that weight is stored, and the adapter slot its forward reads.
/// </summary>
public interface ILoraTarget
{
    /// <summary>The frozen base weight: (in, out) when <see cref="WeightIsInOut"/>, else (out, in).</summary>
    Tensor Weight { get; }

    /// <summary>True for GPT-2's Conv1D layout (in, out): PEFT's <c>fan_in_fan_out = true</c>.</summary>
    bool WeightIsInOut { get; }

    /// <summary>The adapter added to this projection's output, or null.</summary>
    Lora.LoraAdapter? Adapter { get; set; }
}
