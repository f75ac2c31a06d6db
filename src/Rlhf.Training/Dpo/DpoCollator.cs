using Rlhf.Models.Tokenization;
using Rlhf.Training.Rl;
using Rlhf.Data.Preferences;

namespace Rlhf.Training.Dpo;

/// <summary>
/// Preference pairs → token sequences → <see cref="DpoBatch"/>es (TRL's DPO data collator). Each pair's prompt and
/// responses are encoded with the <see cref="ChatTemplate"/> (<c>User: {prompt}\nAssistant: {response}&lt;|endoftext|&gt;</c>, or the
/// model's chat format rendering the prompt's conversation, each response as the assistant's next message ending in
/// end-of-turn: chosen and rejected share the prompt's ids).
/// Bad pairs are skipped with a count in <see cref="DpoFitReport"/>, never repaired silently: chosen and rejected that
/// encode identically (nothing to learn; the loss would be constant), an empty response, and a pair whose prompt +
/// longer response exceeds the length limit — responses are never truncated, since the cut part may be exactly what
/// made one response better.
/// </summary>
public sealed class DpoCollator
{
    /// <summary>A collator encoding with <paramref name="template"/>, at most <paramref name="maxLength"/> tokens per sequence.</summary>
    public DpoCollator(ChatTemplate template, int maxLength)
    {
        ArgumentNullException.ThrowIfNull(template);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxLength, 2);
        (Template, MaxLength) = (template, maxLength);
    }

    /// <summary>The chat template.</summary>
    public ChatTemplate Template { get; }

    /// <summary>Token limit per sequence (prompt + response + end-of-text); also the limit of a batch's padded width.</summary>
    public int MaxLength { get; }

    /// <summary>Encodes <paramref name="pairs"/> (e.g. <see cref="PreferenceData.ExpandPairs"/>), skipping and counting bad ones (see the type).</summary>
    public DpoDataset Encode(IEnumerable<PreferencePair> pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        return EncodeWeighted(pairs.Select(p => (p, 1.0)));
    }

    /// <summary>
    /// Encodes weighted pairs (<see cref="PreferenceData.RecordWeightedPairs"/>: each pair with its labeler's weight, ≥ 0);
    /// the weights scale each kept pair's loss (<see cref="DpoBatch.Weights"/>). All weights 1 is the unweighted case.
    /// </summary>
    public DpoDataset EncodeWeighted(IEnumerable<(PreferencePair Pair, double Weight)> weightedPairs)
    {
        ArgumentNullException.ThrowIfNull(weightedPairs);
        var weights = new List<float>();
        var prompts = new List<int[]>();
        var responses = new List<int[]>();
        var promptTexts = new List<string>();
        var promptMessages = new List<IReadOnlyList<ChatMessage>?>();
        var kept = new List<(int, int)>();
        var index = new Dictionary<(string, string), int>();
        int total = 0, identical = 0, empty = 0, tooLong = 0;
        foreach (var (pair, weight) in weightedPairs)
        {
            total++;
            if (!(weight >= 0 && double.IsFinite(weight))) throw new ArgumentException($"pair weight {weight} must be a finite number >= 0", nameof(weightedPairs));
            // 1. empty responses carry no preference (and the parser of files already rejects them; in-memory pairs may not)
            if (string.IsNullOrWhiteSpace(pair.Chosen) || string.IsNullOrWhiteSpace(pair.Rejected)) { empty++; continue; }
            var chosen = Template.Encode(pair.Prompt, pair.Messages, pair.Chosen);
            var rejected = Template.Encode(pair.Prompt, pair.Messages, pair.Rejected);
            // 2. identical token sequences: π(y⁺) = π(y⁻), h ≡ 0, a constant loss with no gradient
            if (chosen.Ids.AsSpan().SequenceEqual(rejected.Ids)) { identical++; continue; }
            // 3. too long: skip the whole pair, never truncate a response
            if (Math.Max(chosen.Ids.Length, rejected.Ids.Length) > MaxLength) { tooLong++; continue; }
            kept.Add((Intern(pair, pair.Chosen, chosen), Intern(pair, pair.Rejected, rejected)));
            weights.Add((float)weight);
        }
        return new DpoDataset(prompts, responses, promptTexts, promptMessages, kept, new DpoFitReport(total, kept.Count, identical, empty, tooLong, MaxLength))
        {
            PairWeights = weights.All(w => w == 1f) ? null : weights,
        };

        int Intern(PreferencePair pair, string response, PromptResponseIds ids)
        {
            if (index.TryGetValue((pair.Prompt, response), out int i)) return i;
            index[(pair.Prompt, response)] = i = prompts.Count;
            prompts.Add(ids.Ids[..ids.PromptLength]);
            responses.Add(ids.Ids[ids.PromptLength..]);
            promptTexts.Add(pair.Prompt);
            promptMessages.Add(pair.Messages);
            return i;
        }
    }

    /// <summary>
    /// The batches of pairs <paramref name="pairIndices"/> of <paramref name="data"/> with reference log-probs
    /// <paramref name="reference"/> (one per sequence). Usually one batch; pairs go into further batches when the
    /// left-padded prompts plus right-padded responses would exceed <see cref="MaxLength"/> columns together (every pair
    /// fits on its own). The trainer accumulates gradients over them.
    /// </summary>
    public List<DpoBatch> Collate(DpoDataset data, IReadOnlyList<int> pairIndices, IReadOnlyList<double> reference)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(pairIndices);
        ArgumentNullException.ThrowIfNull(reference);
        var batches = new List<DpoBatch>();
        var group = new List<(int Chosen, int Rejected, int Index)>();
        int maxPrompt = 0, maxResponse = 0;
        foreach (int p in pairIndices)
        {
            var (c, r) = data.Pairs[p];
            int prompt = data.Prompts[c].Length, response = Math.Max(data.Responses[c].Length, data.Responses[r].Length);
            if (group.Count > 0 && Math.Max(maxPrompt, prompt) + Math.Max(maxResponse, response) > MaxLength)
            {
                batches.Add(Build(group));
                (group, maxPrompt, maxResponse) = ([], 0, 0);
            }
            group.Add((c, r, p));
            (maxPrompt, maxResponse) = (Math.Max(maxPrompt, prompt), Math.Max(maxResponse, response));
        }
        if (group.Count > 0) batches.Add(Build(group));
        return batches;

        DpoBatch Build(List<(int Chosen, int Rejected, int Index)> pairs)
        {
            int n = pairs.Count;
            float[]? weights = data.PairWeights is { } w ? [.. pairs.Select(p => w[p.Index])] : null;
            var promptIds = new int[2 * n][];
            var responseIds = new int[2 * n][];
            var refChosen = new double[n];
            var refRejected = new double[n];
            for (int i = 0; i < n; i++)
            {
                var (c, r, _) = pairs[i];
                (promptIds[i], responseIds[i]) = (data.Prompts[c], data.Responses[c]);
                (promptIds[n + i], responseIds[n + i]) = (data.Prompts[r], data.Responses[r]);
                (refChosen[i], refRejected[i]) = (reference[c], reference[r]);
            }
            return new DpoBatch(SequenceBatch.Build(promptIds, responseIds, Template.Tokenizer.PadId), refChosen, refRejected) { Weights = weights };
        }
    }
}
