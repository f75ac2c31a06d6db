namespace Rlhf.Training.RewardModeling;

/// <summary>How a reward-model run ended.</summary>
/// <param name="Step">Optimizer steps done.</param>
/// <param name="TotalSteps">Steps the run was configured for.</param>
/// <param name="Stopped">True when cancelled before <paramref name="TotalSteps"/> (the model so far is still saved).</param>
/// <param name="LastLoss">Training loss of the last step (NaN when no step ran).</param>
/// <param name="Evaluation">The final held-out evaluation (null when nothing is held out or evaluation is off).</param>
/// <param name="Mean">Normalisation offset stored with the model.</param>
/// <param name="Std">Normalisation scale stored with the model.</param>
/// <param name="Skipped">Training records skipped because a completion did not fit the context.</param>
/// <param name="Directory">The saved reward model (HF layout + tokenizer).</param>
/// <param name="LabelCeilingGold">The gold scorer's agreement with the labels on the evaluated held-out pairs (null without <see cref="RewardTrainer.CeilingGold"/>).</param>
/// <param name="LabelCeilingUtility">The labelers' biased utility's agreement with the labels on those pairs (null likewise).</param>
public sealed record RewardResult(int Step, int TotalSteps, bool Stopped, double LastLoss, RewardEvaluation? Evaluation, float Mean, float Std,
    int Skipped, string Directory, double? LabelCeilingGold = null, double? LabelCeilingUtility = null);
