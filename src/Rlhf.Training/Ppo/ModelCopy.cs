using Rlhf.Models;

namespace Rlhf.Training.Ppo;

/// <summary>Deep copies of models: the frozen reference and the critic's own trunk start as copies of the policy.</summary>
public static class ModelCopy
{
    /// <summary>A new <see cref="Gpt"/> with <paramref name="model"/>'s architecture and a copy of its weights.</summary>
    public static Gpt Of(Gpt model)
    {
        ArgumentNullException.ThrowIfNull(model);
        var copy = new Gpt(model.Config);
        var src = model.Parameters();
        var dst = copy.Parameters();
        for (int i = 0; i < src.Count; i++) src[i].Span.CopyTo(dst[i].Span);
        return copy;
    }
}
