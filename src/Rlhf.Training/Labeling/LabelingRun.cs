using Rlhf.Training.Data;
using Rlhf.Data;
using Rlhf.Data.Preferences;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Labeling;

/// <summary>
/// Synthetic preference labeling (<c>rlhf label simulate</c>): a <see cref="LabelerPanel"/> of simulated labelers ranks
/// each group of completions, records rotating through the labelers, and the result is written in the ranked format
/// <see cref="PreferenceData.Load"/> reads (<c>{"prompt", "completions", "ranking"}</c>, no ties: simulated labelers
/// always give a full order), or, with a length-matched ratio, as filtered pairwise records.
/// <para>
/// Order of work, so results depend only on the input and options: the file is ranked first; then every labeler
/// ranks a sample of records (inter-labeler agreement), then the panel ranks the sample CeilingDraws more times
/// (ceiling vs gold). The sample continues the labelers' random streams after the labels, so it never changes them.
/// Single-threaded (the lexicon scorer is not thread-safe).
/// </para>
/// </summary>
public static class LabelingRun
{
    /// <summary>Name of the <see cref="LexiconSentimentScorer"/> gold.</summary>
    public const string LexiconGold = "lexicon";

    /// <summary>The gold scorer called <paramref name="name"/>: <see cref="LexiconGold"/>, <c>rm:&lt;dir&gt;</c>, or an external scorer (http(s) URL, <c>cmd:</c>; dispose it).</summary>
    public static IGoldScorer CreateGold(string name) => name switch
    {
        LexiconGold => new LexiconSentimentScorer(),
        _ when ExternalScorerSpec.IsExternal(name) => ExternalScorerSpec.CreateGold(name),
        _ when name.StartsWith(RewardModelGoldPrefix, StringComparison.Ordinal) => RewardModelScorer.Load(name[RewardModelGoldPrefix.Length..]),
        _ => throw new ArgumentException($"LabelingRun: unknown gold scorer '{name}' (expected '{LexiconGold}' or '{RewardModelGoldPrefix}<reward model directory>')", nameof(name)),
    };

    /// <summary>Prefix of a gold scorer given as a reward model directory (<see cref="RewardModelScorer"/>, a "gold RM").</summary>
    public const string RewardModelGoldPrefix = "rm:";

    /// <summary>Loads <paramref name="inputPath"/>, labels it and writes <paramref name="outputPath"/> atomically (nothing is written when the input is bad).</summary>
    public static LabelingSummary Run(string inputPath, string outputPath, LabelingOptions options)
    {
        var (data, summary) = Label(CompletionGroup.Load(inputPath), options);
        PreferenceData.Write(outputPath, data);
        return summary;
    }

    /// <summary>Ranks <paramref name="groups"/> with a simulated panel and measures the labels; see the class summary.</summary>
    public static (PreferenceData Data, LabelingSummary Summary) Label(IReadOnlyList<CompletionGroup> groups, LabelingOptions options)
    {
        ArgumentNullException.ThrowIfNull(groups);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(options.AgreementSample);
        var gold = CreateGold(options.Gold);
        using var _ = gold as IDisposable;
        var panel = LabelerPanel.Simulated(gold, options.Labeler, options.Labelers, options.Seed);

        var records = new List<RankedCompletions>(groups.Count);
        long concordant = 0, comparable = 0;
        foreach (var g in groups)
        {
            var ranking = panel.Rank(g.Prompt, g.Completions);
            var goldScores = new double[g.Completions.Count];
            for (int i = 0; i < goldScores.Length; i++) goldScores[i] = gold.Score(g.Prompt, g.Completions[i]);
            var (con, com) = RankingAgreement.CountWithScores(ranking, goldScores);
            concordant += con;
            comparable += com;
            records.Add(new RankedCompletions(g.Prompt, g.Completions, ranking, []));
        }

        int s = Math.Min(options.AgreementSample, groups.Count);
        var sample = new (string Prompt, IReadOnlyList<string> Completions)[s];
        for (int i = 0; i < s; i++) sample[i] = (groups[(int)((long)i * groups.Count / s)].Prompt, groups[(int)((long)i * groups.Count / s)].Completions);
        double inter = 0;
        foreach (var (prompt, completions) in sample) inter += RankingAgreement.MeanInterLabeler(panel.RankAll(prompt, completions));
        double ceiling = Agreement.Ceiling(panel, gold, sample, options.CeilingDraws * options.Labelers); // every labeler draws CeilingDraws times

        var data = new PreferenceData(PreferenceFormat.Ranked, records);
        int? kept = null, dropped = null, identical = null;
        if (options.LengthMatchedRatio is { } ratio)
        {
            var matched = LengthControl.LengthMatchedPairs(data, ratio);
            data = new PreferenceData(PreferenceFormat.Pairwise, [.. matched.Pairs.Select(p => p.ToRanked())]);
            (kept, dropped, identical) = (matched.Pairs.Count, matched.Dropped, matched.Identical);
        }
        var stats = PreferenceStats.Compute(data);
        // the ceilings on the written pairs (what an RM's pairwise accuracy is measured on), gold ties ½
        double ceilingGold = LabelCeiling.Agreement(data.Records, (p, c) => LabelCeiling.Gold(gold, p, c));
        double ceilingUtility = LabelCeiling.Agreement(data.Records, (p, c) => LabelCeiling.Utility(gold, options.Labeler.LengthBias, p, c));
        return (data, new LabelingSummary(
            groups.Count, options.Labelers, data.Format, stats.Pairs, s,
            options.Labelers < 2 ? null : inter / s, NullIfNaN(ceiling),
            comparable == 0 ? null : (double)concordant / comparable,
            stats.ChosenLongerFraction, stats.ChosenCharsMean, stats.RejectedCharsMean, kept, dropped, identical,
            NullIfNaN(ceilingGold), NullIfNaN(ceilingUtility)));
    }

    private static double? NullIfNaN(double v) => double.IsNaN(v) ? null : v;
}
