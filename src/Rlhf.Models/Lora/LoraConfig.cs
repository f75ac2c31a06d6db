namespace Rlhf.Models.Lora;

/// <summary>
/// LoRA settings (Hu et al. 2021, "LoRA: Low-Rank Adaptation of Large Language Models"; field names as PEFT's
/// <c>LoraConfig</c>): each targeted projection y = W·x becomes y = W·x + (α/r)·B·A·dropout(x) with A (r × in) and
/// B (out × r) trained and W frozen.
/// </summary>
public sealed record LoraConfig
{
    /// <summary>Rank r of the update B·A.</summary>
    public int Rank { get; init; } = 8;

    /// <summary>α: the update is scaled by α / r (PEFT's <c>lora_alpha</c>).</summary>
    public float Alpha { get; init; } = 16f;

    /// <summary>Dropout probability on the adapter's input during training (PEFT's <c>lora_dropout</c>).</summary>
    public float Dropout { get; init; }

    /// <summary>
    /// Module names the adapters go on, as PEFT users pass <c>target_modules</c>: a module matches a name when its
    /// path equals it or ends with "." + name (<c>q_proj</c>, <c>c_attn</c>, <c>model.layers.0.self_attn.q_proj</c>).
    /// Null: every attention and MLP projection of the family (<see cref="DefaultTargets"/>).
    /// </summary>
    public IReadOnlyList<string>? Targets { get; init; }

    /// <summary>The factor α / r the update is multiplied by.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public float Scaling => Alpha / Rank;

    /// <summary>Every attention and MLP projection of a family by <c>model_type</c>: GPT-2 c_attn, c_proj, c_fc; Llama/Qwen q/k/v/o, gate/up/down.</summary>
    public static IReadOnlyList<string> DefaultTargets(string modelType) => modelType == "gpt2"
        ? ["c_attn", "c_proj", "c_fc"]
        : ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    /// <summary>Every setting out of range, as (field, message) pairs (empty: valid).</summary>
    public IReadOnlyList<(string Field, string Message)> Problems()
    {
        var problems = new List<(string, string)>();
        if (Rank < 1) problems.Add((nameof(Rank), $"LoRA rank {Rank} must be ≥ 1"));
        if (!(Alpha > 0) || !float.IsFinite(Alpha)) problems.Add((nameof(Alpha), $"LoRA alpha {Alpha} must be positive"));
        if (!(Dropout >= 0 && Dropout < 1)) problems.Add((nameof(Dropout), $"LoRA dropout {Dropout} must be in [0, 1)"));
        if (Targets is { Count: 0 } || Targets?.Any(string.IsNullOrWhiteSpace) == true)
            problems.Add((nameof(Targets), "LoRA targets must be non-empty module names (e.g. q_proj,v_proj or c_attn)"));
        return problems;
    }
}
