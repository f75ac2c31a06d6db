
namespace Rlhf.Training.Scoring;

/// <summary>
/// A reward computed outside this process (bring your own reward model or rule): an HTTP endpoint
/// (<see cref="HttpScoreTransport"/>) or a program kept running (<see cref="ProcessScoreTransport"/>), spoken to in
/// <see cref="ExternalScoreProtocol"/>. Each batch gets <see cref="ExternalScorerPolicy.Timeout"/> per attempt and
/// <see cref="ExternalScorerPolicy.Retries"/> retries with doubling pauses. Failure policy: a batch that still fails is
/// given up — every sample in it gets reward NaN with a note saying why (RL trainers drop and count such samples,
/// and fail a run whose every sample is dropped several iterations in a row); it is never scored 0. A reply's
/// non-finite number is likewise NaN for its own sample only.
/// </summary>
public sealed class ExternalReward : IRewardFunction, IDisposable
{
    private readonly IScoreTransport _transport;
    private readonly ExternalScorerPolicy _policy;
    private readonly Action<TimeSpan> _sleep;

    /// <summary>A reward read through <paramref name="transport"/>; <paramref name="sleep"/> replaces the pause between attempts (tests).</summary>
    public ExternalReward(IScoreTransport transport, ExternalScorerPolicy? policy = null, Action<TimeSpan>? sleep = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        _transport = transport;
        _policy = policy ?? ExternalScorerPolicy.Default;
        _policy.Validate();
        _sleep = sleep ?? Thread.Sleep;
    }

    /// <inheritdoc/>
    public string Name => _transport.Name;

    /// <summary>Batches given up after all attempts.</summary>
    public int FailedBatches { get; private set; }

    /// <summary>Samples in the batches given up (they got NaN).</summary>
    public int FailedSamples { get; private set; }

    /// <summary>Attempts that failed, given up or retried successfully.</summary>
    public int FailedAttempts { get; private set; }

    /// <summary>Why the last failed attempt failed.</summary>
    public string? LastFailure { get; private set; }

    /// <inheritdoc/>
    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) return [];
        if (TryScore(batch, out var scores))
            return [.. scores.Select(s => double.IsFinite(s) ? new RewardOutcome((float)s) : new RewardOutcome(float.NaN, null, $"{Name} returned {s}"))];
        FailedBatches++;
        FailedSamples += batch.Count;
        string note = $"{Name}: batch given up after {_policy.Retries + 1} attempts ({LastFailure})";
        return [.. batch.Select(_ => new RewardOutcome(float.NaN, null, note))];
    }

    /// <summary>The batch's scores, after up to 1 + retries attempts; false when every attempt failed.</summary>
    public bool TryScore(IReadOnlyList<RewardRequest> batch, out double[] scores)
    {
        ArgumentNullException.ThrowIfNull(batch);
        string request = ExternalScoreProtocol.Request(batch);
        var delay = _policy.RetryDelay;
        for (int attempt = 0; attempt <= _policy.Retries; attempt++)
        {
            if (attempt > 0) { _sleep(delay); delay *= 2; }
            try
            {
                scores = ExternalScoreProtocol.ParseReply(_transport.Exchange(request, _policy.Timeout), batch.Count);
                return true;
            }
            catch (ExternalScorerException e)
            {
                FailedAttempts++;
                LastFailure = e.Message;
                _transport.Reset();
            }
        }
        scores = [];
        return false;
    }

    /// <inheritdoc/>
    public void Dispose() => _transport.Dispose();
}
