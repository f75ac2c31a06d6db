namespace Rlhf.Tensors.Optim;

/// <summary>
/// Learning rate per step: linear warmup, then cosine decay to a floor (nanoGPT's get_lr). Steps count from 0.
/// <code>
/// step &lt; W:          lr = MaxLr·(step + 1)/(W + 1)
/// W ≤ step &lt; D:      lr = MinLr + ½(1 + cos(π·(step − W)/(D − W)))·(MaxLr − MinLr)
/// step ≥ D:          lr = MinLr
/// </code>
/// W = <see cref="WarmupSteps"/>, D = <see cref="DecaySteps"/> (the step where the cosine reaches MinLr, counted from
/// step 0 with the warmup included, like nanoGPT's lr_decay_iters; usually the total number of steps).
/// </summary>
public sealed record LrSchedule(float MaxLr, float MinLr, int WarmupSteps, int DecaySteps)
{
    /// <summary>Peak learning rate (reached at step W).</summary>
    public float MaxLr { get; init; } = MaxLr >= 0f && float.IsFinite(MaxLr) ? MaxLr : throw new ArgumentOutOfRangeException(nameof(MaxLr), $"LrSchedule: MaxLr {MaxLr} must be finite and ≥ 0");

    /// <summary>Floor reached at step D and kept afterwards.</summary>
    public float MinLr { get; init; } = MinLr >= 0f && float.IsFinite(MinLr) ? MinLr : throw new ArgumentOutOfRangeException(nameof(MinLr), $"LrSchedule: MinLr {MinLr} must be finite and ≥ 0");

    /// <summary>Number of linear warmup steps.</summary>
    public int WarmupSteps { get; init; } = WarmupSteps >= 0 ? WarmupSteps : throw new ArgumentOutOfRangeException(nameof(WarmupSteps), $"LrSchedule: WarmupSteps {WarmupSteps} must be ≥ 0");

    /// <summary>Step at which the decay ends (≥ <see cref="WarmupSteps"/>).</summary>
    public int DecaySteps { get; init; } = DecaySteps >= WarmupSteps ? DecaySteps : throw new ArgumentOutOfRangeException(nameof(DecaySteps), $"LrSchedule: DecaySteps {DecaySteps} must be ≥ WarmupSteps {WarmupSteps}");

    /// <summary>A schedule that returns <paramref name="lr"/> at every step.</summary>
    public static LrSchedule Constant(float lr) => new(lr, lr, 0, 0);

    /// <summary>The learning rate for <paramref name="step"/> (0-based); computed in double, rounded once.</summary>
    public float At(int step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        if (step < WarmupSteps) return (float)((double)MaxLr * (step + 1) / (WarmupSteps + 1));
        if (step >= DecaySteps) return MinLr;
        double ratio = (double)(step - WarmupSteps) / (DecaySteps - WarmupSteps);
        double coeff = 0.5 * (1.0 + Math.Cos(Math.PI * ratio));
        return (float)(MinLr + coeff * ((double)MaxLr - MinLr));
    }
}
