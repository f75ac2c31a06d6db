using Rlhf.Models.Layers;
using Rlhf.Tensors;

namespace Rlhf.Models.Heads;

/// <summary>
/// Scalar reward of a whole sequence: r = h_last·wᵀ at the last non-pad token of each row (HF
/// <c>GPT2ForSequenceClassification</c> with one label: key <c>score.weight</c> of shape (1, C), no bias).
/// Normalisation (mean/std over reference samples) lives with the reward model, not here.
/// </summary>
public sealed class RewardHead(int nEmbd, Rng rng)
{
    /// <summary>Score weight (1, C) in HF nn.Linear orientation.</summary>
    public Tensor Weight { get; } = Parameter.Create("score.weight", Tensor.Randn(rng, 0.02f, 1, nEmbd));

    /// <summary>Parameters.</summary>
    public IReadOnlyList<Tensor> Parameters() => [Weight];

    /// <summary>
    /// (B, T, C) hidden states → (B) scores, each read at the row's last real token (<paramref name="attentionMask"/>
    /// (B·T, true = real); null = last position). A row without real tokens is an error.
    /// </summary>
    public Tensor Forward(Tensor hidden, bool[]? attentionMask)
    {
        ArgumentNullException.ThrowIfNull(hidden);
        int B = hidden.Shape[0], T = hidden.Shape[1], C = hidden.Shape[2];
        var rows = LastTokenRows(attentionMask, B, T);
        var last = Ops.Embedding(rows, Ops.Reshape(hidden, B * T, C));   // (B, C): row gather with scatter-add backward
        return Ops.Reshape(Ops.MatMul(last, Weight, transB: true), B);   // (B)
    }

    /// <summary>Flat row index (b·T + t) of each row's last real token.</summary>
    public static int[] LastTokenRows(bool[]? attentionMask, int batch, int time)
    {
        var rows = new int[batch];
        for (int b = 0; b < batch; b++)
        {
            int last = time - 1;
            if (attentionMask is not null)
            {
                while (last >= 0 && !attentionMask[b * time + last]) last--;
                if (last < 0) throw new ArgumentException($"RewardHead: row {b} has no real (unmasked) token");
            }
            rows[b] = b * time + last;
        }
        return rows;
    }
}
