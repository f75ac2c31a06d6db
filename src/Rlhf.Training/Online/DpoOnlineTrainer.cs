using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Dpo;
using Rlhf.Training.Labeling;
using Rlhf.Data.Progress;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Online;

/// <summary>
/// Online round training with DPO (iterative / online DPO, e.g. Xu et al. 2023 "Some things are more CRINGE than
/// others"; Guo et al. 2024 "Direct language model alignment from online AI feedback"): a <see cref="DpoTrainer"/> run
/// in <c>round_NNN/dpo/</c> from the round's policy against the round's reference, with <see cref="Template"/>'s
/// settings and seed + round. A round whose pairs are all unusable (identical or empty samples) keeps the policy.
/// </summary>
public sealed class DpoOnlineTrainer(DpoConfig template, BpeTokenizer tokenizer, IGoldScorer? gold = null, TextWriter? log = null,
    IProgressReporter? progress = null) : IOnlineTrainer
{
    /// <summary>Settings of every round's DPO run (out, init and reference directories are set per round).</summary>
    public DpoConfig Template { get; } = template;

    /// <inheritdoc/>
    public string Name => DpoTrainer.Kind;

    /// <inheritdoc/>
    public OnlineTrainResult Train(OnlineRound round, CancellationToken cancel = default)
    {
        ArgumentNullException.ThrowIfNull(round);
        var config = Template with
        {
            OutDir = Path.Combine(round.Directory, DpoTrainer.Kind),
            InitCheckpoint = round.PolicyDirectory, ReferenceCheckpoint = round.ReferenceDirectory, Model = null,
            Seed = Template.Seed + (ulong)round.Round,
        };
        var usable = new DpoCollator(ChatTemplate.For(tokenizer, config.ChatTemplateName), config.SeqLen ?? ModelSummary.Read(round.PolicyDirectory).Context).EncodeWeighted(round.Rankings.RecordWeightedPairs());
        if (usable.Pairs.Count == 0)
        {
            (log ?? Console.Out).WriteLine($"online: round {round.Round}: no usable pair ({usable.Report}); the policy is kept");
            return new OnlineTrainResult(round.PolicyDirectory, new Dictionary<string, double> { ["dpo_pairs"] = 0 });
        }
        var result = new DpoTrainer(config, tokenizer, round.Rankings, log, progress) { Gold = gold }.Run(cancel: cancel);
        var metrics = new Dictionary<string, double>
        {
            ["dpo_pairs"] = result.Data.Kept, ["dpo_skipped"] = result.Data.Skipped, ["dpo_steps"] = result.Step, ["dpo_loss"] = result.LastLoss,
        };
        if (result.LastEval is { } e)
            foreach (var (k, v) in e) metrics["dpo_" + k] = v;
        return new OnlineTrainResult(result.CheckpointDirectory, metrics);
    }
}
