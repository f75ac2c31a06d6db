namespace Rlhf.Training.Rl;

/// <summary>
/// A guard's answer for one iteration: <see cref="IsBest"/> = this iteration is the best so far by the guard's
/// criterion (keep its checkpoint); <see cref="Stop"/> = crop the run now, with the human-readable
/// <see cref="Reason"/> (which monitor fired, the values it saw).
/// </summary>
public sealed record GuardVerdict(bool IsBest, bool Stop, string? Reason = null)
{
    /// <summary>Keep going, not a new best.</summary>
    public static GuardVerdict Continue { get; } = new(false, false);
}
