namespace Rlhf.Tensors.Optim;

/// <summary>
/// Stochastic gradient descent with optional momentum and L2 weight decay, as torch.optim.SGD with dampening 0 and
/// nesterov off (neither is supported). For each parameter p with gradient g:
/// <code>
/// d ← g + wd·p                                   (coupled L2 decay, applied to every parameter)
/// b ← d on the parameter's first step, else b ← μ·b + d   (only when μ ≠ 0; d ← b)
/// p ← p − lr·d
/// </code>
/// A plain scalar loop: SGD is for tests and small problems; <see cref="AdamW"/> is the production optimizer.
/// </summary>
public sealed class Sgd : IOptimizer
{
    private const string Kind = "SGD";

    private readonly Tensor[] _params;
    private readonly float[][] _momentum;
    private readonly int[] _steps;
    private float _lr;

    /// <summary>Creates the optimizer; parameters need unique non-empty <see cref="Tensor.Name"/>s (the state keys).</summary>
    public Sgd(IReadOnlyList<Tensor> parameters, float learningRate, float momentum = 0f, float weightDecay = 0f)
    {
        _params = OptimizerState.ValidateParameters(parameters, Kind);
        if (!(momentum >= 0f) || float.IsInfinity(momentum)) throw new ArgumentOutOfRangeException(nameof(momentum), $"SGD: momentum {momentum} must be finite and ≥ 0");
        if (!(weightDecay >= 0f) || float.IsInfinity(weightDecay)) throw new ArgumentOutOfRangeException(nameof(weightDecay), $"SGD: weight decay {weightDecay} must be finite and ≥ 0");
        LearningRate = learningRate;
        Momentum = momentum;
        WeightDecay = weightDecay;
        _steps = new int[_params.Length];
        _momentum = momentum == 0f ? [] : _params.Select(p => new float[p.Size]).ToArray();
    }

    /// <summary>Momentum factor μ (0 = plain SGD, no buffers).</summary>
    public float Momentum { get; }

    /// <summary>L2 penalty coefficient added to the gradient.</summary>
    public float WeightDecay { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters => _params;

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _lr;
        set => _lr = value >= 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), $"SGD: learning rate {value} must be finite and ≥ 0");
    }

    /// <inheritdoc/>
    public int StepCount { get; private set; }

    /// <inheritdoc/>
    public void Step()
    {
        // check every gradient before touching any state, so a bad gradient leaves the optimizer unchanged
        foreach (var p in _params) OptimizerState.TryGrad(p, Kind, out _);
        float negLr = -_lr, wd = WeightDecay, mu = Momentum;
        for (int k = 0; k < _params.Length; k++)
        {
            if (!OptimizerState.TryGrad(_params[k], Kind, out var g)) continue;
            var p = _params[k].Span;
            bool first = _steps[k]++ == 0;
            var b = mu == 0f ? default : _momentum[k].AsSpan();
            for (int i = 0; i < p.Length; i++)
            {
                float d = wd == 0f ? g[i] : g[i] + wd * p[i];
                if (mu != 0f) d = b[i] = first ? d : b[i] * mu + d;
                p[i] += negLr * d;
            }
        }
        StepCount++;
    }

    /// <inheritdoc/>
    public void ZeroGrad()
    {
        foreach (var p in _params) p.ZeroGrad();
    }

    /// <summary>Saves <c>&lt;name&gt;.momentum_buffer</c> per parameter (when μ ≠ 0), step counts, lr, μ and weight decay.</summary>
    public void SaveState(string path) =>
        OptimizerState.Save(path, Kind, _params, StepCount, _lr, _steps, Buffers(), Hyperparameters());

    /// <summary>Restores a state saved by <see cref="SaveState"/>; fails without changing anything on any mismatch (names, shapes, μ, weight decay).</summary>
    public void LoadState(string path)
    {
        var buffers = Buffers();
        var s = OptimizerState.Load(path, Kind, _params, buffers.Select(b => b.Suffix).ToArray(), Hyperparameters());
        for (int i = 0; i < _momentum.Length; i++) s.Buffers[0][i].CopyTo(_momentum[i], 0);
        s.ParamSteps.CopyTo(_steps, 0);
        StepCount = s.StepCount;
        LearningRate = s.LearningRate;
    }

    private (string Suffix, float[][] Buffers)[] Buffers() => Momentum == 0f ? [] : [(".momentum_buffer", _momentum)];

    private Dictionary<string, string> Hyperparameters() => new()
    {
        ["momentum"] = OptimizerState.Format(Momentum),
        ["weight_decay"] = OptimizerState.Format(WeightDecay),
    };
}
