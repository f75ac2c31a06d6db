namespace Rlhf.Training.Grpo;

/// <summary>One way of averaging GRPO's per-token losses (<see cref="LossAggregationKind"/>), as per-token weights.</summary>
public interface ILossAggregation
{
    /// <summary>Short name for logs.</summary>
    string Name { get; }

    /// <summary>
    /// The weights for a batch of responses of <paramref name="lengths"/> real tokens each, padded to
    /// <paramref name="width"/>, where <paramref name="groups"/>[i] is response i's prompt.
    /// </summary>
    TokenWeights Weights(IReadOnlyList<int> lengths, int width, IReadOnlyList<int> groups);

    /// <summary>The aggregation <paramref name="kind"/> names; <paramref name="maxNewTokens"/> is Dr. GRPO's constant length.</summary>
    static ILossAggregation For(LossAggregationKind kind, int maxNewTokens) => kind switch
    {
        LossAggregationKind.TokenMean => new TokenMeanAggregation(),
        LossAggregationKind.SequenceMean => new SequenceMeanAggregation(),
        LossAggregationKind.Constant => new ConstantAggregation(maxNewTokens),
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown loss aggregation"),
    };

    /// <summary>Each response's real tokens get its row weight, padding 0.</summary>
    internal static float[] Mask(IReadOnlyList<int> lengths, int width, Func<int, float> rowWeight)
    {
        var w = new float[lengths.Count * width];
        for (int i = 0; i < lengths.Count; i++)
        {
            float v = rowWeight(i);
            for (int t = 0; t < lengths[i]; t++) w[i * width + t] = v;
        }
        return w;
    }
}
