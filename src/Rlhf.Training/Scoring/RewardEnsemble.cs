using Rlhf.Models;
using Rlhf.Tensors;

namespace Rlhf.Training.Scoring;

/// <summary>
/// Several reward models trained alike from different seeds (<c>rlhf rm train --ensemble N</c>). Their spread on a
/// sample is a cheap uncertainty estimate (Coste et al. 2023, "Reward model ensembles help mitigate
/// overoptimization"): members agree where training data constrained them and drift apart off-distribution.
/// Scores are normalised per member (<see cref="RewardModel.Normalize"/>) before combining, so members with
/// different raw scales are comparable. All members must share one tokenizer (not checked: ids are just ints).
/// </summary>
public sealed class RewardEnsemble
{
    /// <summary>The members.</summary>
    public IReadOnlyList<RewardModel> Members { get; }

    /// <summary>An ensemble of one or more <paramref name="members"/>.</summary>
    public RewardEnsemble(IReadOnlyList<RewardModel> members)
    {
        ArgumentNullException.ThrowIfNull(members);
        if (members.Count == 0) throw new ArgumentException("an ensemble needs at least one reward model", nameof(members));
        Members = members;
    }

    /// <summary>
    /// Per sample the mean and (population) standard deviation over members of the normalised scores of ids (B·T)
    /// with <paramref name="attentionMask"/>: mean_i = (1/M) Σ_m z_m,i, std_i = √((1/M) Σ_m (z_m,i − mean_i)²).
    /// Runs without gradients.
    /// </summary>
    public (float[] Mean, float[] Std) Score(int[] ids, int batch, int time, bool[]? attentionMask = null)
    {
        var all = new float[Members.Count][];
        using (Tensor.NoGrad())
            for (int m = 0; m < Members.Count; m++)
            {
                all[m] = Members[m].Scores(ids, batch, time, attentionMask).ToArray();
                for (int i = 0; i < batch; i++) all[m][i] = Members[m].Normalize(all[m][i]);
            }
        return Combine(all, batch);
    }

    /// <summary>Mean and population std over members of <paramref name="normalized"/>[member][sample].</summary>
    public static (float[] Mean, float[] Std) Combine(IReadOnlyList<float[]> normalized, int samples)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        var mean = new float[samples];
        var std = new float[samples];
        for (int i = 0; i < samples; i++)
        {
            double s = 0, s2 = 0;
            foreach (var z in normalized) s += z[i];
            double mu = s / normalized.Count;
            foreach (var z in normalized) s2 += (z[i] - mu) * (z[i] - mu);
            (mean[i], std[i]) = ((float)mu, (float)Math.Sqrt(s2 / normalized.Count));
        }
        return (mean, std);
    }
}
