using System.Text;

namespace Rlhf.Models.Tokenization;

/// <summary>
/// Everything a Hugging Face <c>tokenizer.json</c> (with its <c>tokenizer_config.json</c>) adds around byte-level BPE,
/// as read by <see cref="BpeTokenizer.LoadHuggingFace"/>. The default (<see cref="Gpt2"/>) is GPT-2's: no
/// normalizer, GPT-2's regex, every merge applied, no BOS, <see cref="BpeTokenizer.EndOfTextToken"/> as end-of-text.
/// </summary>
internal sealed record TokenizerPipeline
{
    /// <summary>GPT-2's pipeline (the tokenizers this project trains).</summary>
    public static readonly TokenizerPipeline Gpt2 = new();

    /// <summary>Unicode normalizations applied in order to text outside added tokens (tokenizer.json <c>normalizer</c>).</summary>
    public IReadOnlyList<NormalizationForm> Normalizations { get; init; } = [];

    /// <summary>Pre-tokenizer stages in order; null = GPT-2's regex (the fast path, unchanged from earlier versions).</summary>
    public IReadOnlyList<PreTokenizer>? PreTokenizers { get; init; }

    /// <summary>model.ignore_merges: a piece that is itself a vocab token is emitted as that token without BPE (Llama 3).</summary>
    public bool IgnoreMerges { get; init; }

    /// <summary>added_tokens that are not special: always matched in text before BPE, decoded even with skipSpecial.</summary>
    public IReadOnlyList<string> AddedTokens { get; init; } = [];

    /// <summary>The token that ends a document (pretraining, plain-text generation).</summary>
    public string EndOfText { get; init; } = BpeTokenizer.EndOfTextToken;

    /// <summary>Tokens put before / after a text when the model's special tokens are added (BOS, from post_processor or add_bos_token).</summary>
    public IReadOnlyList<string> Prefix { get; init; } = [];

    /// <inheritdoc cref="Prefix"/>
    public IReadOnlyList<string> Suffix { get; init; } = [];

    /// <summary>tokenizer_config.json's bos_token / eos_token / pad_token, where set.</summary>
    public string? BosToken { get; init; }

    /// <inheritdoc cref="BosToken"/>
    public string? EosToken { get; init; }

    /// <inheritdoc cref="BosToken"/>
    public string? PadToken { get; init; }

    /// <summary>The file the chat template came from (for error messages), where set.</summary>
    public string? ChatTemplatePath { get; init; }

    /// <summary>tokenizer_config.json's chat_template (or chat_template.jinja), where set.</summary>
    public string? ChatTemplate { get; init; }

    /// <summary>The loaded files' text, written back unchanged by <see cref="BpeTokenizer.Save"/> (null for GPT-2's pipeline).</summary>
    public string? TokenizerJson { get; init; }

    /// <inheritdoc cref="TokenizerJson"/>
    public string? TokenizerConfigJson { get; init; }
}
