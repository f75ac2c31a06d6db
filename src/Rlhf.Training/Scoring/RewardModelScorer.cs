using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Training.Scoring;

/// <summary>
/// A reward model used as the gold scorer — the "gold RM" of Gao et al. 2022: a larger reward model trained on
/// labels from the true preference, standing in for it when the proxy RM and RL are studied. Scores are the model's
/// normalised scores of the chat-formatted (prompt, completion), one forward pass each, no autograd.
/// </summary>
public sealed class RewardModelScorer(RewardModel model, BpeTokenizer tokenizer, string name) : IGoldScorer
{
    private readonly ChatTemplate _template = ChatTemplate.For(tokenizer);

    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <summary>Loads a reward model checkpoint directory (model + tokenizer.json, as <c>rlhf rm train</c> writes it).</summary>
    public static RewardModelScorer Load(string directory) =>
        new(RewardModel.Load(directory), BpeTokenizer.Load(directory), $"rm:{directory}");

    /// <inheritdoc/>
    public double Score(string prompt, string completion)
    {
        var ids = _template.Encode(prompt, completion).Ids;
        int context = model.Trunk.MaxPositions;
        if (ids.Length > context)
            throw new InvalidDataException($"{Name}: prompt + completion is {ids.Length} tokens, more than the gold model's context of {context}");
        using var noGrad = Tensor.NoGrad();
        return model.Normalize(model.Scores(ids, 1, ids.Length).Item());
    }
}
