using Rlhf.Tensors.Kernels;
namespace Rlhf.Tensors.Optim;

/// <summary>
/// AdamW (Loshchilov &amp; Hutter, decoupled weight decay), matching torch.optim.AdamW (amsgrad=False,
/// maximize=False). For each parameter p with gradient g, at that parameter's step t (from 1):
/// <code>
/// p ← p·(1 − lr·wd)            (only parameters selected by AdamWConfig.Decay; default rank ≥ 2)
/// m ← β1·m + (1 − β1)·g
/// v ← β2·v + (1 − β2)·g²
/// p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + ε)
/// </code>
/// Moments are allocated (zeros) at construction; each parameter keeps its own step count, like PyTorch's per-param
/// state, so a parameter that skips steps (no gradient) gets the right bias correction. The update runs as a
/// Vector256 kernel (<see cref="AdamWKernel"/>, bit-identical to <see cref="AdamWReference"/>) over fixed chunks
/// of 32K elements, in parallel when there is enough work; each element is updated by exactly one thread with the
/// same arithmetic, so results do not depend on the thread count.
/// </summary>
public sealed class AdamW : IOptimizer
{
    private const string Kind = "AdamW";
    private const int ChunkSize = 1 << 15;
    private const int ParallelThreshold = 1 << 17;

    private readonly Tensor[] _params;
    private readonly bool[] _decay;
    private readonly float[][] _m;
    private readonly float[][] _v;
    private readonly int[] _steps;
    private readonly (int Param, int Start, int Length)[] _chunks;
    private readonly AdamWScalars[] _scalars;
    private readonly bool[] _active;
    private float _lr;

    /// <summary>Creates the optimizer; parameters need unique non-empty <see cref="Tensor.Name"/>s (the state keys).</summary>
    public AdamW(IReadOnlyList<Tensor> parameters, AdamWConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        _params = OptimizerState.ValidateParameters(parameters, Kind);
        if (!(config.Beta1 >= 0f && config.Beta1 < 1f)) throw new ArgumentOutOfRangeException(nameof(config), $"AdamW: Beta1 {config.Beta1} must be in [0, 1)");
        if (!(config.Beta2 >= 0f && config.Beta2 < 1f)) throw new ArgumentOutOfRangeException(nameof(config), $"AdamW: Beta2 {config.Beta2} must be in [0, 1)");
        if (!(config.Eps >= 0f) || float.IsInfinity(config.Eps)) throw new ArgumentOutOfRangeException(nameof(config), $"AdamW: Eps {config.Eps} must be finite and ≥ 0");
        if (!(config.WeightDecay >= 0f) || float.IsInfinity(config.WeightDecay)) throw new ArgumentOutOfRangeException(nameof(config), $"AdamW: WeightDecay {config.WeightDecay} must be finite and ≥ 0");
        Config = config;
        LearningRate = config.LearningRate;

        var rule = config.Decay ?? AdamWConfig.DefaultDecay;
        int n = _params.Length;
        _decay = new bool[n];
        _m = new float[n][];
        _v = new float[n][];
        _steps = new int[n];
        _scalars = new AdamWScalars[n];
        _active = new bool[n];
        var chunks = new List<(int, int, int)>();
        for (int i = 0; i < n; i++)
        {
            _decay[i] = rule(_params[i]);
            _m[i] = new float[_params[i].Size];
            _v[i] = new float[_params[i].Size];
            for (int start = 0; start < _params[i].Size; start += ChunkSize)
                chunks.Add((i, start, Math.Min(ChunkSize, _params[i].Size - start)));
        }
        _chunks = [.. chunks];
    }

    /// <summary>The hyperparameters (the learning rate in it is only the initial value; see <see cref="LearningRate"/>).</summary>
    public AdamWConfig Config { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Tensor> Parameters => _params;

    /// <summary>Whether parameter <paramref name="index"/> receives weight decay (from <see cref="AdamWConfig.Decay"/>).</summary>
    public bool IsDecayed(int index) => _decay[index];

    /// <inheritdoc/>
    public float LearningRate
    {
        get => _lr;
        set => _lr = value >= 0f && float.IsFinite(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), $"AdamW: learning rate {value} must be finite and ≥ 0");
    }

    /// <inheritdoc/>
    public int StepCount { get; private set; }

    /// <inheritdoc/>
    public void Step()
    {
        // check every gradient before touching any state, so a bad gradient leaves the optimizer unchanged
        for (int i = 0; i < _params.Length; i++) _active[i] = OptimizerState.TryGrad(_params[i], Kind, out _);
        long work = 0;
        for (int i = 0; i < _params.Length; i++)
        {
            if (!_active[i]) continue;
            _steps[i]++;
            _scalars[i] = AdamWScalars.For(_lr, Config.Beta1, Config.Beta2, Config.Eps, Config.WeightDecay, _decay[i], _steps[i]);
            work += _params[i].Size;
        }
        StepCount++;
        if (work >= ParallelThreshold) WorkerPool.Run(_chunks.Length, UpdateChunk);
        else for (int c = 0; c < _chunks.Length; c++) UpdateChunk(c);
    }

    private void UpdateChunk(int c)
    {
        var (i, start, length) = _chunks[c];
        if (!_active[i]) return;
        var p = _params[i];
        AdamWKernel.Update(p.Span.Slice(start, length), p.Grad!.Span.Slice(start, length),
            _m[i].AsSpan(start, length), _v[i].AsSpan(start, length), _scalars[i]);
    }

    /// <inheritdoc/>
    public void ZeroGrad()
    {
        foreach (var p in _params) p.ZeroGrad();
    }

    /// <summary>
    /// Saves <c>&lt;name&gt;.exp_avg</c> and <c>&lt;name&gt;.exp_avg_sq</c> per parameter, with step counts, lr,
    /// betas, eps and weight decay in the metadata (atomic write).
    /// </summary>
    public void SaveState(string path) =>
        OptimizerState.Save(path, Kind, _params, StepCount, _lr, _steps, [(".exp_avg", _m), (".exp_avg_sq", _v)], Hyperparameters());

    /// <summary>
    /// Restores a state saved by <see cref="SaveState"/>: moments, step counts and the learning rate. Fails without
    /// changing anything when a parameter's buffers are missing or shaped differently, when the file has tensors
    /// for unknown parameters, or when β1, β2, ε or the weight decay differ from <see cref="Config"/>.
    /// </summary>
    public void LoadState(string path)
    {
        var s = OptimizerState.Load(path, Kind, _params, [".exp_avg", ".exp_avg_sq"], Hyperparameters());
        for (int i = 0; i < _params.Length; i++)
        {
            s.Buffers[0][i].CopyTo(_m[i], 0);
            s.Buffers[1][i].CopyTo(_v[i], 0);
        }
        s.ParamSteps.CopyTo(_steps, 0);
        StepCount = s.StepCount;
        LearningRate = s.LearningRate;
    }

    private Dictionary<string, string> Hyperparameters() => new()
    {
        ["beta1"] = OptimizerState.Format(Config.Beta1),
        ["beta2"] = OptimizerState.Format(Config.Beta2),
        ["eps"] = OptimizerState.Format(Config.Eps),
        ["weight_decay"] = OptimizerState.Format(Config.WeightDecay),
    };
}
