namespace Rlhf.Tensors.Autograd;

/// <summary>
/// One recorded op: its inputs and the backward closure that, given the output's gradient, accumulates the
/// inputs' gradients. The closure is written in the op's file right next to its forward math.
/// </summary>
internal sealed class Node(string op, Tensor[] inputs, Action<Tensor> backward)
{
    /// <summary>Op name, for debugging and error messages.</summary>
    public string Op { get; } = op;

    /// <summary>The tensors the op read (gradients flow back to those that require grad).</summary>
    public Tensor[] Inputs { get; } = inputs;

    /// <summary>Accumulates input gradients from the output gradient (contiguous, output shape).</summary>
    public Action<Tensor> Backward { get; } = backward;
}
