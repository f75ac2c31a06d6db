using Rlhf.Data.Preferences;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Labeling;

/// <summary>
/// Several labelers sharing the work, like a contractor pool: <see cref="Rank"/> hands successive queries to the
/// labelers round-robin, so a dataset mixes their noise and biases; <see cref="RankAll"/> asks every labeler
/// (for inter-labeler agreement, see <see cref="RankingAgreement.MeanInterLabeler"/>).
/// </summary>
public sealed class LabelerPanel : ILabeler
{
    private int _next;

    /// <summary>A panel over <paramref name="labelers"/> (at least one).</summary>
    public LabelerPanel(IReadOnlyList<ILabeler> labelers)
    {
        ArgumentNullException.ThrowIfNull(labelers);
        if (labelers.Count == 0) throw new ArgumentException("LabelerPanel: needs at least one labeler", nameof(labelers));
        Labelers = labelers;
    }

    /// <summary>
    /// <paramref name="count"/> simulated labelers with seeds seed, seed+1, … and length biases spread evenly over
    /// config.LengthBias ± lengthBiasSpread (all equal to config.LengthBias when count is 1 or the spread is 0).
    /// </summary>
    public static LabelerPanel Simulated(IGoldScorer gold, SimulatedLabelerConfig config, int count, ulong seed, double lengthBiasSpread = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        var labelers = new ILabeler[count];
        for (int i = 0; i < count; i++)
        {
            double offset = count == 1 ? 0 : lengthBiasSpread * (2.0 * i / (count - 1) - 1);
            labelers[i] = new SimulatedLabeler(gold, config with { LengthBias = config.LengthBias + offset }, seed + (ulong)i);
        }
        return new LabelerPanel(labelers);
    }

    /// <summary>The panel's members, in round-robin order.</summary>
    public IReadOnlyList<ILabeler> Labelers { get; }

    /// <summary>The ranking of the next labeler in round-robin order.</summary>
    public IReadOnlyList<int> Rank(string prompt, IReadOnlyList<string> completions)
    {
        var labeler = Labelers[_next];
        _next = (_next + 1) % Labelers.Count;
        return labeler.Rank(prompt, completions);
    }

    /// <summary>Every labeler's ranking of the same completions, in panel order (does not advance the round-robin).</summary>
    public IReadOnlyList<int>[] RankAll(string prompt, IReadOnlyList<string> completions)
    {
        var rankings = new IReadOnlyList<int>[Labelers.Count];
        for (int i = 0; i < rankings.Length; i++) rankings[i] = Labelers[i].Rank(prompt, completions);
        return rankings;
    }
}
