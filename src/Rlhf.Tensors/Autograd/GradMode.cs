namespace Rlhf.Tensors.Autograd;

/// <summary>
/// Per-thread switch for graph recording. <c>using (Tensor.NoGrad()) { ... }</c> runs inference without building
/// a graph (reference-model log-probs, sampling, evaluation). Scopes nest.
/// </summary>
public static class GradMode
{
    [ThreadStatic] private static int t_disabledDepth;

    /// <summary>True when ops record the graph on this thread.</summary>
    public static bool IsEnabled => t_disabledDepth == 0;

    /// <summary>Turns recording off until the scope is disposed.</summary>
    public static Scope Disable()
    {
        t_disabledDepth++;
        return new Scope();
    }

    /// <summary>Turns recording on (whatever the enclosing scopes say) until the returned scope is disposed (recomputation in backward).</summary>
    public static EnabledScope Enable()
    {
        int saved = t_disabledDepth;
        t_disabledDepth = 0;
        return new EnabledScope(saved);
    }

    /// <summary>Restores the recording state that <see cref="Enable"/> overrode.</summary>
    public readonly struct EnabledScope(int savedDepth) : IDisposable
    {
        public void Dispose() => t_disabledDepth = savedDepth;
    }

    /// <summary>Re-enables recording when disposed (nesting-safe).</summary>
    public readonly struct Scope : IDisposable
    {
        public void Dispose() => t_disabledDepth--;
    }
}
