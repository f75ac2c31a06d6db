namespace Rlhf.Training.Online;

/// <summary>
/// Settings of iterated online preference training (<see cref="OnlineLoop"/>). Each round samples
/// <see cref="SamplesPerPrompt"/> responses to each of <see cref="PromptsPerRound"/> prompts (taken in rotation from
/// the prompt list) from the current policy, has a labeler rank them, and trains on the rankings. Stored in
/// <c>online_state.json</c>; a resume must use the same settings except <see cref="Rounds"/>.
/// </summary>
public sealed record OnlineConfig
{
    /// <summary>Run directory: <c>metrics.jsonl</c> (one line per round), <c>online_state.json</c>, <c>round_NNN/</c>.</summary>
    public required string OutDir { get; init; }

    /// <summary>The starting policy (HF model directory or run directory); also the KL reference of the round metrics.</summary>
    public required string InitCheckpoint { get; init; }

    /// <summary>Training rounds N; the loop also samples once after the last round to measure the final policy.</summary>
    public int Rounds { get; init; } = 2;

    /// <summary>Prompts sampled per round.</summary>
    public int PromptsPerRound { get; init; } = 64;

    /// <summary>Responses per prompt, K (the labeler ranks K; K-wise rankings expand to C(K, 2) pairs).</summary>
    public int SamplesPerPrompt { get; init; } = 4;

    /// <summary>Most new tokens per sampled response (also capped by the context).</summary>
    public int MaxNewTokens { get; init; } = 48;

    /// <summary>Sampling temperature.</summary>
    public float Temperature { get; init; } = 1f;

    /// <summary>False: every round's DPO reference is the initial policy (KL stays anchored); true: the round's starting policy (iterated DPO with a moving reference).</summary>
    public bool RefreshReference { get; init; }

    /// <summary>Labeler description (e.g. <c>simulated:3</c>, <c>rm:runs/rm</c>), for the log and the resume check.</summary>
    public string Labeler { get; init; } = "simulated";

    /// <summary>Round trainer description (<c>dpo</c>, or <c>rm+ppo:…</c> with its settings), for the log and the resume check.</summary>
    public string Trainer { get; init; } = "dpo";

    /// <summary>Seeds the sampling of each round (mixed with the round number).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="Common.TrainingException"/> listing every value out of range.</summary>
    public void Validate()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(OutDir)) problems.Add("the output directory is empty");
        if (Rounds < 1) problems.Add($"rounds {Rounds} must be ≥ 1");
        if (PromptsPerRound < 1) problems.Add($"prompts per round {PromptsPerRound} must be ≥ 1");
        if (SamplesPerPrompt < 2) problems.Add($"samples per prompt {SamplesPerPrompt} must be ≥ 2 (a ranking needs two)");
        if (MaxNewTokens < 1) problems.Add($"max new tokens {MaxNewTokens} must be ≥ 1");
        if (!(Temperature > 0 && float.IsFinite(Temperature))) problems.Add($"temperature {Temperature} must be positive");
        if (problems.Count > 0) throw new Common.TrainingException($"invalid online settings: {string.Join("; ", problems)}");
    }
}
