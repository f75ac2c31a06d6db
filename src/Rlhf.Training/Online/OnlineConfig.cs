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

    /// <summary>How prompts become ids (<c>--chat-template</c>; null = auto, see <see cref="Common.TrainerConfig.ChatTemplateName"/>).</summary>
    public string? ChatTemplateName { get; init; }

    /// <summary>Round trainer description (<c>dpo</c>, or <c>rm+ppo:…</c> with its settings), for the log and the resume check.</summary>
    public string Trainer { get; init; } = "dpo";

    /// <summary>Seeds the sampling of each round (mixed with the round number).</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Throws <see cref="Common.TrainingException"/> listing every value out of range (<see cref="Problems"/>).</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new Common.TrainingException($"invalid online settings: {string.Join("; ", problems.Select(p => p.Message))}");
    }

    /// <summary>Every setting out of range, each with its property's name (the CLI reports it under its option).</summary>
    public IReadOnlyList<Common.ConfigProblem> Problems()
    {
        var problems = new List<Common.ConfigProblem>();
        void Check(bool ok, string field, string message) { if (!ok) problems.Add(new Common.ConfigProblem(field, message)); }
        Check(!string.IsNullOrWhiteSpace(OutDir), nameof(OutDir), "the output directory is empty");
        Check(Rounds >= 1, nameof(Rounds), $"rounds {Rounds} must be ≥ 1");
        Check(PromptsPerRound >= 1, nameof(PromptsPerRound), $"prompts per round {PromptsPerRound} must be ≥ 1");
        Check(SamplesPerPrompt >= 2, nameof(SamplesPerPrompt), $"samples per prompt {SamplesPerPrompt} must be ≥ 2 (a ranking needs two)");
        Check(MaxNewTokens >= 1, nameof(MaxNewTokens), $"max new tokens {MaxNewTokens} must be ≥ 1");
        Check(Temperature > 0 && float.IsFinite(Temperature), nameof(Temperature), $"temperature {Temperature} must be positive");
        return problems;
    }
}
