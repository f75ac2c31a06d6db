namespace Rlhf.Tensors.Optim;

/// <summary>
/// A first-order optimizer over a fixed list of named parameter tensors. <see cref="Step"/> updates every parameter
/// whose <see cref="Tensor.Grad"/> is set (parameters without a gradient are skipped and their state is untouched);
/// <see cref="SaveState"/>/<see cref="LoadState"/> round-trip everything needed for a bit-exact resume.
/// </summary>
public interface IOptimizer
{
    /// <summary>The parameters, in construction order (names are unique and non-empty).</summary>
    IReadOnlyList<Tensor> Parameters { get; }

    /// <summary>Learning rate used by the next <see cref="Step"/> (set it from an <see cref="LrSchedule"/> each step).</summary>
    float LearningRate { get; set; }

    /// <summary>Number of <see cref="Step"/> calls so far (restored by <see cref="LoadState"/>).</summary>
    int StepCount { get; }

    /// <summary>Applies one update using the current gradients.</summary>
    void Step();

    /// <summary>Drops every parameter's gradient (<c>Grad = null</c>, PyTorch's <c>set_to_none=True</c>).</summary>
    void ZeroGrad();

    /// <summary>Writes the optimizer state (moment buffers, step counts, hyperparameters) as safetensors, atomically.</summary>
    void SaveState(string path);

    /// <summary>Restores state written by <see cref="SaveState"/>; validates names, shapes and hyperparameters first and names every mismatch.</summary>
    void LoadState(string path);
}
