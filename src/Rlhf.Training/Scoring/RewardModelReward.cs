using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Training.RewardModeling;

namespace Rlhf.Training.Scoring;

/// <summary>
/// A reward model — or an ensemble of them — as the RL reward: each response is chat-formatted and tokenised with the
/// reward model's OWN tokenizer (so a policy with a different tokenizer is re-tokenised deliberately, through text),
/// scored at its last token and normalised (<see cref="RewardModel.Normalize"/>). With several members the reward is
/// the mean of the normalised scores and <see cref="RewardOutcome.Spread"/> their std (Coste et al. 2023). A
/// sequence longer than the model's context is cut from the left of the prompt (the response is kept whole); a
/// response longer than the context alone scores 0 with a note.
/// </summary>
public sealed class RewardModelReward : IRewardFunction
{
    private readonly RewardEnsemble _ensemble;
    private readonly ChatTemplate _template;

    /// <summary>
    /// Members must share <paramref name="tokenizer"/>; <paramref name="chatTemplate"/> is the <c>--chat-template</c>
    /// choice they were trained with (null = auto: the tokenizer's chat_template, else the plain format).
    /// </summary>
    public RewardModelReward(IReadOnlyList<RewardModel> members, BpeTokenizer tokenizer, string name, string? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        _ensemble = new RewardEnsemble(members);
        _template = ChatTemplate.For(tokenizer, chatTemplate);
        Name = name;
    }

    /// <summary>Loads one checkpoint directory per member (each as <c>rlhf rm train</c> writes it); the first member's tokenizer is used and the others' must equal it.</summary>
    public static RewardModelReward Load(IReadOnlyList<string> directories, string? chatTemplate = null)
    {
        ArgumentNullException.ThrowIfNull(directories);
        if (directories.Count == 0) throw new ArgumentException("at least one reward model directory is needed");
        var tokenizer = BpeTokenizer.Load(directories[0]);
        var members = new List<RewardModel>();
        foreach (var dir in directories)
        {
            if (dir != directories[0] && !SameTokenizer(tokenizer, BpeTokenizer.Load(dir)))
                throw new InvalidDataException($"{dir}: its tokenizer differs from {directories[0]}'s; ensemble members must share one tokenizer");
            members.Add(RewardModel.Load(dir));
        }
        return new RewardModelReward(members, tokenizer, "rm:" + string.Join('+', directories), chatTemplate);
    }

    /// <summary>True when two tokenizers map text to the same ids (same vocabulary size, merges and specials).</summary>
    public static bool SameTokenizer(BpeTokenizer a, BpeTokenizer b)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(b);
        return a.SameVocabulary(b);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>The members.</summary>
    public IReadOnlyList<RewardModel> Members => _ensemble.Members;

    /// <inheritdoc/>
    public IReadOnlyList<RewardOutcome> Score(IReadOnlyList<RewardRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var outcomes = new RewardOutcome[batch.Count];
        var seqs = new List<int[]>(batch.Count);
        var index = new List<int>(batch.Count);
        int context = _ensemble.Members[0].Trunk.MaxPositions;
        for (int i = 0; i < batch.Count; i++)
        {
            var enc = _template.Encode(batch[i].Prompt, batch[i].Messages, batch[i].Completion);
            int responseLength = enc.Ids.Length - enc.PromptLength;
            if (responseLength >= context) { outcomes[i] = new(0f, null, $"response of {responseLength} tokens exceeds the reward model's context {context}"); continue; }
            seqs.Add(enc.Ids.Length <= context ? enc.Ids : enc.Ids[^context..]);
            index.Add(i);
        }
        if (seqs.Count == 0) return outcomes;
        var normalized = new float[_ensemble.Members.Count][];
        for (int m = 0; m < normalized.Length; m++)
        {
            var model = _ensemble.Members[m];
            normalized[m] = RewardCollator.ScoreRaw(model, seqs);
            for (int j = 0; j < seqs.Count; j++) normalized[m][j] = model.Normalize(normalized[m][j]);
        }
        var (mean, std) = RewardEnsemble.Combine(normalized, seqs.Count);
        for (int j = 0; j < seqs.Count; j++)
            outcomes[index[j]] = new(mean[j], normalized.Length > 1 ? std[j] : null);
        return outcomes;
    }
}
