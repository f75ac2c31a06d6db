namespace Rlhf.Feedback.Rounds;

/// <summary>How a <see cref="HumanRound"/> waits and what it keeps.</summary>
public sealed record HumanRoundOptions
{
    /// <summary>Labels to wait for (null: <see cref="LabelsPerTask"/> per task of the round).</summary>
    public int? Quota { get; init; }

    /// <summary>Labels each task gets (the app's <c>--labels-per-task</c>); sets the default quota.</summary>
    public int LabelsPerTask { get; init; } = 1;

    /// <summary>Longest wait, counted from when the round's tasks were enqueued (kept across a resume); null: no limit.</summary>
    public TimeSpan? Deadline { get; init; }

    /// <summary>Leave out labelers whose quality score is below this (<c>export --min-quality</c>); null keeps everyone.</summary>
    public double? MinQuality { get; init; }

    /// <summary>Give each record its labeler's weight (<see cref="Quality.LabelerWeights"/>); false: every record weighs 1.</summary>
    public bool Weighted { get; init; } = true;

    /// <summary>How often the store is asked for new labels.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How often a progress line is written when nothing changes.</summary>
    public TimeSpan ReportInterval { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The clock (tests inject one).</summary>
    public TimeProvider Clock { get; init; } = TimeProvider.System;
}
