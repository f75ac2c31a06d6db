namespace Rlhf.Cli.Demo.Report;

/// <summary>
/// The GRPO run on verifiable arithmetic: held-out exact-match accuracy at its evaluations, and per iteration the mean
/// checker reward, the fraction of answers in the expected format (when logged) and the KL to the start policy.
/// </summary>
public sealed record DemoGrpo(IReadOnlyList<DemoPoint> Accuracy, IReadOnlyList<DemoPoint> Reward, IReadOnlyList<DemoPoint> FormatRate, IReadOnlyList<DemoPoint> Kl);
