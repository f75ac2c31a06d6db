namespace Rlhf.Cli.Bench;

/// <summary>One <c>bench ppo</c> result line (JSON: snake_case): one PPO iteration's time split by phase.</summary>
public sealed record PpoRecord(string Bench, string Config, int Prompts, int MaxNewTokens, int GeneratedTokens, double GenerateS, double RewardS,
    double ReferenceValueS, double UpdateS, double TotalS, double GeneratePct, double UpdatePct, int Epochs, int Minibatch, long Params, int Threads,
    string FrozenDtype = "f32", bool GradCheckpoint = false, double? PeakRssMb = null);
