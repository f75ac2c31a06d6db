namespace Rlhf.Models.Tokenization;

/// <summary>The chat formats <see cref="ChatFormat"/> renders (named built-in templates, recognised from the file).</summary>
public enum ChatFormatKind
{
    /// <summary>
    /// ChatML (Qwen2/Qwen2.5, SmolLM2): <c>&lt;|im_start|&gt;{role}\n{content}&lt;|im_end|&gt;\n</c> per message,
    /// generation prompt <c>&lt;|im_start|&gt;assistant\n</c>; a default system message where the template has one.
    /// </summary>
    ChatMl,

    /// <summary>
    /// ChatML as Qwen3 renders it: an assistant message after the last user message that ends the conversation gets an
    /// empty reasoning block <c>&lt;think&gt;\n\n&lt;/think&gt;\n\n</c> before its content, reasoning in earlier assistant
    /// messages (up to <c>&lt;/think&gt;</c>) is dropped, and the generation prompt carries the empty block too (Qwen3's
    /// <c>enable_thinking=False</c>), so training and generation see the same prefix.
    /// </summary>
    Qwen3,

    /// <summary>
    /// Llama 3: BOS, then <c>&lt;|start_header_id|&gt;{role}&lt;|end_header_id|&gt;\n\n{content.strip()}&lt;|eot_id|&gt;</c>
    /// per message, generation prompt <c>&lt;|start_header_id|&gt;assistant&lt;|end_header_id|&gt;\n\n</c>.
    /// </summary>
    Llama3,
}
