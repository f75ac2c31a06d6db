using Rlhf.Tensors.Autograd;

namespace Rlhf.Tensors;

public static partial class Ops
{
    /// <summary>
    /// Activation (gradient) checkpointing, as torch.utils.checkpoint: y = f(x), but the graph inside f is not kept.
    /// <para>
    /// Forward: f runs without recording (no activations held); only x is kept. Backward, given dy:
    /// 1. x' = a detached view of x that requires grad;
    /// 2. y' = f(x') is recomputed with recording on (the same kernels on the same inputs: the same values);
    /// 3. y'.Backward(dy) accumulates into the parameters f uses (leaves, as in the unfused graph) and into x'.Grad;
    /// 4. dx += x'.Grad.
    /// Memory: between forward and backward only x and y per checkpointed call; at backward one call's activations
    /// at a time. Cost: one extra forward of f per backward. f must be deterministic (no dropout draws) and must not
    /// change state; <paramref name="parameters"/> are the tensors requiring grad that f reads besides x (they make
    /// the output require grad even when x does not).
    /// </para>
    /// </summary>
    public static Tensor Checkpoint(Func<Tensor, Tensor> f, Tensor x, IReadOnlyList<Tensor> parameters)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(x);
        ArgumentNullException.ThrowIfNull(parameters);
        if (!GradMode.IsEnabled) return f(x);
        Tensor y;
        using (Tensor.NoGrad()) y = f(x);
        MemoryPolicy.MaybeCollect(); // f's intermediate arrays are garbage already: let them go before the next block
        var inputs = new Tensor[parameters.Count + 1];
        inputs[0] = x;
        for (int i = 0; i < parameters.Count; i++) inputs[i + 1] = parameters[i];
        return Tensor.Record(y, "Checkpoint", inputs, g =>
        {
            var xr = x.Detach();                                                    // 1.
            xr.RequiresGrad = x.RequiresGrad;
            Tensor yr;
            using (GradMode.Enable()) yr = f(xr);                                   // 2.
            if (!yr.RequiresGrad) return;
            yr.Backward(g);                                                         // 3.
            if (x.RequiresGrad && xr.Grad is { } dx) Tensor.AddInto(x.GradBuffer(), dx);  // 4.
            xr.ZeroGrad();
        });
    }
}
