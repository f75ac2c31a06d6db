using Rlhf.Models;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Data.Preferences;

namespace Rlhf.Feedback.Exchange;

/// <summary>
/// Samples K completions per prompt from a policy for labeling (<c>rlhf label enqueue --model</c>): each prompt is
/// wrapped in the chat template and repeated K times in one batch (<see cref="Generator.Generate"/>, KV cache), so
/// the K samples differ only by the random stream. Identical completions are kept once: ranking two identical
/// cards wastes the labeler's time and yields no comparison. A prompt left with fewer than 2 distinct non-empty
/// completions is dropped (reported to the caller).
/// </summary>
public static class CompletionSampler
{
    /// <summary>One group per usable prompt, in prompt order, and the prompts dropped. Deterministic for a given <paramref name="rng"/> state.</summary>
    public static (List<CompletionGroup> Groups, List<string> Dropped) Sample(ICausalLm model, BpeTokenizer tokenizer, IReadOnlyList<string> prompts, int k,
        GenerationConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 2);
        var chat = new ChatTemplate(tokenizer);
        config = config with { VocabularyLimit = tokenizer.VocabSize }; // a padded embedding's extra ids cannot be decoded
        var groups = new List<CompletionGroup>();
        var dropped = new List<string>();
        foreach (string prompt in prompts)
        {
            int[] ids = chat.EncodePrompt(prompt);
            if (ids.Length + config.MaxNewTokens > model.MaxPositions)
                throw new InvalidDataException($"prompt \"{(prompt.Length <= 40 ? prompt : prompt[..40] + "…")}\" is {ids.Length} tokens; with {config.MaxNewTokens} new tokens that exceeds the model context of {model.MaxPositions}");
            var results = Generator.Generate(model, [.. Enumerable.Repeat(ids, k)], tokenizer.EndOfTextId, config, rng);
            var texts = results.Select(r => chat.DecodeResponse(r.Completion))
                .Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal).ToList();
            if (texts.Count >= 2) groups.Add(new CompletionGroup(prompt, texts));
            else dropped.Add(prompt);
        }
        return (groups, dropped);
    }
}
