namespace Rlhf.Training.Online;

/// <summary>A round's training output: the new policy's model directory and the metrics to log (empty when training was skipped).</summary>
public sealed record OnlineTrainResult(string PolicyDirectory, IReadOnlyDictionary<string, double> Metrics);
