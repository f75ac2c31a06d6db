using Rlhf.Tensors;

namespace Rlhf.Models.Layers;

/// <summary>Helpers for freezing a model (<see cref="ICausalLm.FreezeTo"/>).</summary>
public static class Frozen
{
    /// <summary>Marks <paramref name="parameters"/> (norm gains, biases, heads: kept in float32) as not requiring gradients and drops their gradients.</summary>
    public static void StopGradients(IEnumerable<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        foreach (var p in parameters)
        {
            p.RequiresGrad = false;
            p.Grad = null;
        }
    }
}
