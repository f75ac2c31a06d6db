using Rlhf.Models;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Data.Preferences;
using Rlhf.Data.Prompts;
using Rlhf.Feedback.Storage;

namespace Rlhf.Feedback.Exchange;

/// <summary>
/// Samples K completions per prompt from a policy for labeling (<c>rlhf label enqueue --model</c>): each prompt is
/// rendered with the chat template (the model's own, see <see cref="ChatTemplate.For"/>; a conversational prompt as
/// its whole conversation with the generation prompt) and repeated K times in one batch (<see cref="Generator.Generate"/>,
/// KV cache, stopping at the template's end token), so the K samples differ only by the random stream. Identical
/// completions are kept once: ranking two identical cards wastes the labeler's time and yields no comparison. A
/// prompt left with fewer than 2 distinct non-empty completions is dropped (reported to the caller).
/// </summary>
public static class CompletionSampler
{
    /// <summary>One group per usable prompt, in prompt order, and the prompts dropped. Deterministic for a given <paramref name="rng"/> state.</summary>
    public static (List<CompletionGroup> Groups, List<string> Dropped) Sample(ICausalLm model, BpeTokenizer tokenizer, IReadOnlyList<string> prompts, int k,
        GenerationConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        var (tasks, dropped) = SampleTasks(model, ChatTemplate.For(tokenizer), prompts.Select(p => new RlPrompt(p)).ToList(), k, config, rng);
        return (tasks.ConvertAll(t => new CompletionGroup(t.Prompt, t.Completions)), dropped);
    }

    /// <summary>
    /// One task per usable prompt, in prompt order, and the prompts dropped (their text). A conversational prompt
    /// (<see cref="RlPrompt.Messages"/>) becomes a task whose <see cref="LabelTaskInput.Messages"/> are the earlier
    /// turns and whose prompt is the user's last message, so the page shows the history above the replies.
    /// </summary>
    public static (List<LabelTaskInput> Tasks, List<string> Dropped) SampleTasks(ICausalLm model, ChatTemplate template, IReadOnlyList<RlPrompt> prompts, int k,
        GenerationConfig config, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 2);
        config = config with { VocabularyLimit = template.Tokenizer.VocabSize }; // a padded embedding's extra ids cannot be decoded
        var tasks = new List<LabelTaskInput>();
        var dropped = new List<string>();
        foreach (RlPrompt prompt in prompts)
        {
            int[] ids = template.EncodePrompt(prompt.Prompt, prompt.Messages);
            if (ids.Length + config.MaxNewTokens > model.MaxPositions)
                throw new InvalidDataException($"prompt \"{(prompt.Prompt.Length <= 40 ? prompt.Prompt : prompt.Prompt[..40] + "…")}\" is {ids.Length} tokens; with {config.MaxNewTokens} new tokens that exceeds the model context of {model.MaxPositions}");
            var results = Generator.Generate(model, [.. Enumerable.Repeat(ids, k)], template.EndId, config, rng);
            var texts = results.Select(r => template.DecodeResponse(r.Completion))
                .Where(t => !string.IsNullOrWhiteSpace(t)).Distinct(StringComparer.Ordinal).ToList();
            if (texts.Count < 2) { dropped.Add(prompt.Prompt); continue; }
            tasks.Add(prompt.Messages is { } m
                ? new LabelTaskInput(m[^1].Content, texts, [.. m.Take(m.Count - 1).Select(x => new Storage.ChatMessage(x.Role, x.Content))])
                : new LabelTaskInput(prompt.Prompt, texts));
        }
        return (tasks, dropped);
    }
}
