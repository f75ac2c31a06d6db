using Rlhf.Data.Preferences;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Labeling;

/// <summary>Settings of a <see cref="LabelingRun"/>.</summary>
/// <param name="Labeler">Noise model shared by every simulated labeler (temperature, length bias, choice model).</param>
/// <param name="Labelers">Panel size; records rotate through the labelers (labeler i has seed Seed + i).</param>
/// <param name="Gold">Gold scorer name (<see cref="LabelingRun.LexiconGold"/>).</param>
/// <param name="Seed">Seed of the first labeler.</param>
/// <param name="AgreementSample">Records every labeler ranks to estimate inter-labeler agreement and the ceiling (spread evenly over the file).</param>
/// <param name="CeilingDraws">Rankings per labeler and sampled record for <see cref="Agreement.Ceiling(ILabeler, IGoldScorer, IReadOnlyList{ValueTuple{string, IReadOnlyList{string}}}, int)"/>.</param>
/// <param name="LengthMatchedRatio">When set, the output is pairwise and keeps only pairs whose lengths differ by at most this ratio (<see cref="Preferences.LengthControl.LengthMatchedPairs"/>).</param>
public sealed record LabelingOptions(
    SimulatedLabelerConfig Labeler,
    int Labelers = 3,
    string Gold = LabelingRun.LexiconGold,
    ulong Seed = 1,
    int AgreementSample = 200,
    int CeilingDraws = 5,
    double? LengthMatchedRatio = null);
