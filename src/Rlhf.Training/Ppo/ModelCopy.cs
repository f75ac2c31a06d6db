using Rlhf.Models;

namespace Rlhf.Training.Ppo;

/// <summary>Deep copies of models: the frozen reference and the critic's own trunk start as copies of the policy.</summary>
public static class ModelCopy
{
    /// <summary>
    /// A new model of <paramref name="model"/>'s family and architecture (<see cref="Gpt"/> for GPT-2,
    /// <see cref="Llama"/> for Llama / Qwen2 / Qwen3) holding a copy of its weights, matched by checkpoint key.
    /// </summary>
    public static ICausalLm Of(ICausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        ICausalLm copy = model switch
        {
            Gpt gpt => new Gpt(gpt.Config),
            Llama llama => new Llama(llama.Config) { EosTokenIds = llama.EosTokenIds },
            _ => throw new NotSupportedException($"ModelCopy: no copy for a {model.GetType().Name} ({model.ModelType}) model"),
        };
        var source = model.Parameters().ToDictionary(p => p.Name!, StringComparer.Ordinal);
        foreach (var p in copy.Parameters()) source[p.Name!].Span.CopyTo(p.Span);
        return copy;
    }
}
