using System.Text.Json.Serialization;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.Labeling;

/// <summary>
/// What a <see cref="LabelingRun"/> produced. Agreements are fractions of item pairs ordered alike (null where
/// undefined: one labeler, or no pair with unequal gold scores). Length statistics are those of
/// <see cref="PreferenceStats"/> over the written file.
/// </summary>
/// <param name="Records">Input records (groups of completions) ranked.</param>
/// <param name="Labelers">Panel size.</param>
/// <param name="Format">Format written: ranked, or pairwise with a length-matched filter.</param>
/// <param name="Pairs">Comparisons in the written file.</param>
/// <param name="AgreementSample">Records every labeler ranked for the two agreement estimates.</param>
/// <param name="InterLabelerAgreement">Mean pairwise agreement between every two labelers' rankings of the sample.</param>
/// <param name="GoldCeiling">Agreement.Ceiling of the panel vs the gold order on the sample: what a perfect RM trained on these labels can reach against fresh labels.</param>
/// <param name="LabelsGoldAgreement">Fraction of unequal-gold pairs of the written rankings that follow the gold order.</param>
/// <param name="ChosenLongerFraction">Fraction of written pairs whose better response is strictly longer (the length-bias report).</param>
/// <param name="ChosenCharsMean">Mean length of the better response, characters.</param>
/// <param name="RejectedCharsMean">Mean length of the worse response, characters.</param>
/// <param name="LengthMatchedKept">Pairs kept by the length-matched filter (null without it).</param>
/// <param name="LengthMatchedDropped">Pairs dropped for differing in length by more than the ratio (null without it).</param>
/// <param name="LabelCeilingGold"><see cref="LabelCeiling"/> of the gold scorer on the written pairs (gold ties ½): an RM's held-out accuracy is to be read against it.</param>
/// <param name="LabelCeilingUtility"><see cref="LabelCeiling"/> of the labelers' biased utility gold + b·len/100 on the written pairs: the ceiling with a length bias.</param>
/// <param name="IdenticalDropped">Pairs dropped because both texts are the same (pairwise files cannot hold them; null without the filter).</param>
public sealed record LabelingSummary(
    [property: JsonPropertyName("records")] int Records,
    [property: JsonPropertyName("labelers")] int Labelers,
    [property: JsonPropertyName("format")] PreferenceFormat Format,
    [property: JsonPropertyName("pairs")] int Pairs,
    [property: JsonPropertyName("agreement_sample")] int AgreementSample,
    [property: JsonPropertyName("inter_labeler_agreement")] double? InterLabelerAgreement,
    [property: JsonPropertyName("gold_ceiling")] double? GoldCeiling,
    [property: JsonPropertyName("labels_gold_agreement")] double? LabelsGoldAgreement,
    [property: JsonPropertyName("chosen_longer_fraction")] double ChosenLongerFraction,
    [property: JsonPropertyName("chosen_chars_mean")] double ChosenCharsMean,
    [property: JsonPropertyName("rejected_chars_mean")] double RejectedCharsMean,
    [property: JsonPropertyName("length_matched_kept")] int? LengthMatchedKept,
    [property: JsonPropertyName("length_matched_dropped")] int? LengthMatchedDropped,
    [property: JsonPropertyName("identical_dropped")] int? IdenticalDropped,
    [property: JsonPropertyName("label_ceiling_gold")] double? LabelCeilingGold = null,
    [property: JsonPropertyName("label_ceiling_utility")] double? LabelCeilingUtility = null);
