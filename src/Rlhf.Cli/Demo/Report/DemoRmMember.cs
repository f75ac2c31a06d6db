namespace Rlhf.Cli.Demo.Report;

/// <summary>
/// One reward-model ensemble member: its held-out pairwise accuracy on the labels before training (step 0, ≈ chance)
/// and at the end of training, the final held-out loss, and the labelers' ceilings on the same held-out pairs
/// (<c>label_ceiling_gold</c>, <c>label_ceiling_utility</c>; null when the run was not told the gold).
/// </summary>
public sealed record DemoRmMember(string Name, double? AccuracyBefore, double? Accuracy, double? Loss, double? CeilingGold = null, double? CeilingUtility = null)
{
    /// <summary><see cref="Accuracy"/> ÷ the utility ceiling (the honest ratio: the labels follow the biased utility), or null.</summary>
    public double? OfUtilityCeiling => Accuracy is { } a && CeilingUtility is > 0 and var c ? a / c : null;

    /// <summary><see cref="Accuracy"/> ÷ the gold ceiling (can exceed 100% with a length bias), or null.</summary>
    public double? OfGoldCeiling => Accuracy is { } a && CeilingGold is > 0 and var c ? a / c : null;
}
