namespace Rlhf.Cli.Demo.Report;

/// <summary>
/// One reward-model ensemble member: its held-out pairwise accuracy on the labels before training (step 0, ≈ chance)
/// and at the end of training, and the final held-out loss.
/// </summary>
public sealed record DemoRmMember(string Name, double? AccuracyBefore, double? Accuracy, double? Loss);
