using System.CommandLine;
using Rlhf.Models.Lora;
using Rlhf.Training.Common;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>--lora-r</c>, <c>--lora-alpha</c>, <c>--lora-dropout</c>, <c>--lora-targets</c>: LoRA settings
/// (<see cref="LoraConfig"/>) on every trainer verb, declared once (<see cref="TrainingOptions"/> and <c>rlhf ppo</c>).
/// </summary>
internal sealed class LoraOptions
{
    public Option<int?> Rank { get; } = new("--lora-r") { Description = "LoRA: train rank-r adapters on the frozen model instead of all weights (only the adapters get gradients and optimizer state; checkpoints hold PEFT adapter files)." };
    public Option<float?> Alpha { get; } = new("--lora-alpha") { Description = "LoRA alpha: the update is scaled by alpha / r (default: 2 × r)." };
    public Option<float> Dropout { get; } = new("--lora-dropout") { Description = "LoRA dropout on the adapters' input during training.", DefaultValueFactory = _ => 0f };
    public Option<string?> Targets { get; } = new("--lora-targets") { Description = "Comma-separated module names to adapt, as PEFT's target_modules (default: all attention and MLP projections: c_attn,c_proj,c_fc for GPT-2; q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj for Llama/Qwen)." };

    /// <summary>The four options.</summary>
    public Option[] All => [Rank, Alpha, Dropout, Targets];

    /// <summary>The option of each LoRA config field, to report <see cref="TrainerConfig.Problems"/> under it.</summary>
    public IEnumerable<(string Field, Option Option)> FieldOptions =>
        [(nameof(TrainerConfig.Lora), Rank), ("LoraRank", Rank), ("LoraAlpha", Alpha), ("LoraDropout", Dropout), ("LoraTargets", Targets)];

    /// <summary>
    /// The settings typed, or null without <c>--lora-r</c>; throws <see cref="TrainingException"/> when the other
    /// options are given without it (they would be ignored).
    /// </summary>
    public LoraConfig? Config(ParseResult p)
    {
        ArgumentNullException.ThrowIfNull(p);
        if (p.GetValue(Rank) is not int rank)
        {
            if (p.Given(Alpha) || p.Given(Dropout) || p.Given(Targets))
                throw new TrainingException("--lora-alpha, --lora-dropout and --lora-targets set up LoRA adapters: give --lora-r (the rank) with them");
            return null;
        }
        return new LoraConfig
        {
            Rank = rank,
            Alpha = p.GetValue(Alpha) ?? 2f * rank,
            Dropout = p.GetValue(Dropout),
            Targets = p.GetValue(Targets) is { } t ? [.. t.Split(',', StringSplitOptions.TrimEntries)] : null,
        };
    }
}
