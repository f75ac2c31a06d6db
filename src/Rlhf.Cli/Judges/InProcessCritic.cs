using Rlhf.Models;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Cli.Judges;

/// <summary>
/// AI critiques written by one of our own models (<c>--assist local:&lt;model dir&gt;</c>), the in-process counterpart
/// of <see cref="OpenAiCritic"/>: the critic instruction, the request and the answer as one prompt in the chat
/// template, and a greedy continuation of at most <see cref="MaxNewTokens"/> tokens (and half the context) as the critique (deterministic:
/// temperature near 0, fixed seed). A prompt longer than the context is cut from the left, keeping the answer. An
/// empty continuation gives no critique (null).
/// </summary>
public sealed class InProcessCritic
{
    /// <summary>Most tokens per critique.</summary>
    public const int MaxNewTokens = 48;

    private readonly ICausalLm _model;
    private readonly ChatTemplate _template;
    private readonly BpeTokenizer _tokenizer;
    private readonly int _maxNew;

    /// <summary>A critic over <paramref name="model"/> with its <paramref name="tokenizer"/>.</summary>
    public InProcessCritic(ICausalLm model, BpeTokenizer tokenizer, string name = "critic:local")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (model.MaxPositions < 16) throw new ArgumentException($"the model context ({model.MaxPositions}) is too short to write critiques (at least 16 tokens)");
        (_model, _tokenizer, _template, Name, _maxNew) = (model, tokenizer, ChatTemplate.For(tokenizer), name, Math.Min(MaxNewTokens, model.MaxPositions / 2));
    }

    /// <summary>Where the critiques come from, for logs.</summary>
    public string Name { get; }

    /// <summary>One critique per completion of <paramref name="prompt"/> (null where the model wrote nothing).</summary>
    public IReadOnlyList<string?> Critique(string prompt, IReadOnlyList<string> completions)
    {
        ArgumentNullException.ThrowIfNull(completions);
        var critiques = new string?[completions.Count];
        for (int i = 0; i < completions.Count; i++)
        {
            int[] ids = _template.EncodePrompt($"{OpenAiCritic.System}\n\nRequest:\n{prompt}\n\nAnswer:\n{completions[i]}");
            int room = _model.MaxPositions - _maxNew;
            if (ids.Length > room) ids = ids[^room..];
            var result = Generator.Generate(_model, [ids], _tokenizer.EndOfTextId, new GenerationConfig(_maxNew, Temperature: 1e-4f), new Rng(1))[0];
            string text = _template.DecodeResponse(result.Completion).Trim();
            critiques[i] = text.Length > 0 ? text : null;
        }
        return critiques;
    }
}
