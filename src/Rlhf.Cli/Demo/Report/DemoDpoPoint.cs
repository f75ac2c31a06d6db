namespace Rlhf.Cli.Demo.Report;

/// <summary>
/// A DPO evaluation: at <paramref name="Step"/>, the policy's KL to the SFT model on held-out prompts (nats per
/// response), its square root, the mean gold reward of those responses, and the held-out preference accuracy.
/// </summary>
public sealed record DemoDpoPoint(int Step, double Kl, double SqrtKl, double Gold, double? Accuracy);
