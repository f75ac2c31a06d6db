namespace Rlhf.Training.Online;

/// <summary>
/// The training half of an online round: from the round's policy and its freshly labelled rankings to the next
/// policy: <see cref="DpoOnlineTrainer"/> (DPO on the round's pairs) or <see cref="PpoOnlineTrainer"/> (refresh the
/// reward model on all rankings so far, then PPO against it).
/// </summary>
public interface IOnlineTrainer
{
    /// <summary>Short name for logs (e.g. <c>dpo</c>).</summary>
    string Name { get; }

    /// <summary>
    /// Trains on <paramref name="round"/>'s rankings starting from its policy, writing under its directory; returns
    /// the new policy's model directory and metrics to log for the round. Must be deterministic given its inputs (a
    /// resumed loop redoes an interrupted round from scratch).
    /// </summary>
    OnlineTrainResult Train(OnlineRound round, CancellationToken cancel = default);
}
