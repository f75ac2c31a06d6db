namespace Rlhf.Training.Scoring;

/// <summary>
/// How long an external scorer may take and how often a failed batch is tried again. A batch that still fails after
/// <see cref="Retries"/> more attempts is given up: its samples get no reward (NaN with a note, so trainers drop and
/// count them), never a made-up score such as 0.
/// </summary>
/// <param name="Timeout">Longest wait for one batch's reply.</param>
/// <param name="Retries">Further attempts after a failed one (0 = try once).</param>
/// <param name="RetryDelay">Pause before the first retry; doubled before each further one.</param>
public sealed record ExternalScorerPolicy(TimeSpan Timeout, int Retries, TimeSpan RetryDelay)
{
    /// <summary>30 s per batch, 2 retries, 0.5 s then 1 s apart.</summary>
    public static ExternalScorerPolicy Default { get; } = new(TimeSpan.FromSeconds(30), 2, TimeSpan.FromSeconds(0.5));

    /// <summary>Throws when a value cannot work.</summary>
    public void Validate()
    {
        if (Timeout <= TimeSpan.Zero) throw new ArgumentException($"external scorer: the timeout must be positive, got {Timeout}");
        if (Retries < 0) throw new ArgumentException($"external scorer: retries must be ≥ 0, got {Retries}");
        if (RetryDelay < TimeSpan.Zero) throw new ArgumentException($"external scorer: the retry delay must be ≥ 0, got {RetryDelay}");
    }
}
