using Rlhf.Models.Tokenization;

namespace Rlhf.Models.Tests.Tokenization;

/// <summary>
/// Chat formats on the real tokenizers: Llama 3 equals the model's own template as transformers.js renders it
/// (text and ids); Qwen3's ChatML equals the text its template gives (written out here from the template's rules,
/// as transformers.js cannot parse that template); masks cover exactly the assistant turns.
/// </summary>
public sealed class ChatFormatTests
{
    private static readonly ChatMessage[] MultiTurn =
    [
        new("system", "You are terse."),
        new("user", "What is 2+2?"),
        new("assistant", "4"),
        new("user", "And 3*3?\nExplain."),
        new("assistant", "9, because 3 times 3 is 9."),
    ];

    [Fact]
    public void Llama3_EqualsTheTemplateRenderedByTheReference()
    {
        var llama = RealTokenizers.Tokenizer("llama3");
        var format = ChatFormat.For(llama);
        Assert.Equal(ChatFormatKind.Llama3, format.Kind);
        var chats = RealTokenizers.Chats("llama3");
        Assert.NotEmpty(chats);
        foreach (var chat in chats)
        {
            // the Llama 3 base template always ends with the assistant header, as a generation prompt
            Assert.Equal(chat.Text, format.Render(chat.Messages, addGenerationPrompt: true));
            Assert.Equal(chat.Ids, format.Encode(chat.Messages, addGenerationPrompt: true).Ids);
        }
    }

    [Fact]
    public void Qwen3_RendersChatMlWithTheEmptyThinkBlockOnTheLastAnswer()
    {
        var qwen = RealTokenizers.Tokenizer("qwen3");
        var format = ChatFormat.For(qwen);
        Assert.Equal(ChatFormatKind.Qwen3, format.Kind);
        Assert.Null(format.DefaultSystem);
        const string expected =
            "<|im_start|>system\nYou are terse.<|im_end|>\n" +
            "<|im_start|>user\nWhat is 2+2?<|im_end|>\n" +
            "<|im_start|>assistant\n4<|im_end|>\n" +
            "<|im_start|>user\nAnd 3*3?\nExplain.<|im_end|>\n" +
            "<|im_start|>assistant\n<think>\n\n</think>\n\n9, because 3 times 3 is 9.<|im_end|>\n";
        Assert.Equal(expected, format.Render(MultiTurn));
        var encoded = format.Encode(MultiTurn);
        Assert.Equal(qwen.Encode(expected, allowSpecial: true), encoded.Ids);

        // the mask: both answers and their <|im_end|>, nothing else
        var masked = encoded.Ids.Where((_, i) => encoded.AssistantMask[i]).ToArray();
        Assert.Equal("4<|im_end|>9, because 3 times 3 is 9.<|im_end|>", qwen.Decode(masked));
        Assert.Equal(format.EndOfTurnId, encoded.Ids[Array.FindLastIndex(encoded.AssistantMask, m => m)]);

        // earlier reasoning is dropped, the generation prompt carries the empty block (enable_thinking=False)
        ChatMessage[] withReasoning = [new("user", "hi"), new("assistant", "<think>\nhmm\n</think>\n\nhello"), new("user", "bye")];
        Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nbye<|im_end|>\n" +
            "<|im_start|>assistant\n<think>\n\n</think>\n\n", format.Render(withReasoning, addGenerationPrompt: true));
    }

    [Fact]
    public void ChatMl_TakesTheTemplatesDefaultSystemMessage_AndStopsOnImEnd()
    {
        // Qwen2.5's template: a literal default system message when the conversation has none
        const string template = "{%- if messages[0]['role'] == 'system' %}{{- '<|im_start|>system\\n' + messages[0]['content'] + '<|im_end|>\\n' }}" +
            "{%- else %}{{- '<|im_start|>system\\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\\n' }}{%- endif %}";
        var tok = RealTokenizers.WithTemplate("qwen3", template);
        var format = ChatFormat.For(tok);
        Assert.Equal(ChatFormatKind.ChatMl, format.Kind);
        Assert.Equal("You are Qwen, created by Alibaba Cloud. You are a helpful assistant.", format.DefaultSystem);
        ChatMessage[] chat = [new("user", "Hi"), new("assistant", "Hello!")];
        Assert.Equal("<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n" +
            "<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\nHello!<|im_end|>\n", format.Render(chat));
        Assert.Equal("<|im_start|>system\nS<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n",
            format.Render([new("system", "S"), new("user", "Hi")], addGenerationPrompt: true));

        int[] generated = [.. tok.Encode("Hello there"), format.EndOfTurnId, .. tok.Encode("junk")];
        Assert.Equal("Hello there", format.DecodeResponse(generated));
    }

    [Fact]
    public void UserTextCannotInjectSpecialTokens()
    {
        var qwen = RealTokenizers.Tokenizer("qwen3");
        var encoded = ChatFormat.For(qwen, "chatml").Encode([new("user", "<|im_end|>")]);
        Assert.Single(encoded.Ids, qwen.EncodeWithSpecialTokens("<|im_end|>")[0]);   // only the template's own
    }

    [Fact]
    public void UnknownOrMissingTemplate_NamesTheChoices()
    {
        var e = Assert.Throws<InvalidOperationException>(() => ChatFormat.For(RealTokenizers.WithTemplate("qwen3", "{{ messages[0].content }}")));
        Assert.Contains("tokenizer_config.json: chat_template is not a layout", e.Message);
        Assert.Contains("--chat-template", e.Message);
        Assert.Contains("chatml, qwen3, llama3", e.Message);
        Assert.Throws<InvalidOperationException>(() => ChatFormat.For(RealTokenizers.Tokenizer("qwen3"), "vicuna"));
        // a format whose tokens the tokenizer lacks
        var gpt2 = TokenizerTestData.Tiny();
        Assert.Contains("no chat_template", Assert.Throws<InvalidOperationException>(() => ChatFormat.For(gpt2)).Message);
        Assert.Contains("<|im_end|>", Assert.Throws<InvalidOperationException>(() => ChatFormat.For(gpt2, "chatml")).Message);
        Assert.Throws<ArgumentException>(() => ChatFormat.For(RealTokenizers.Tokenizer("llama3")).Encode([new("tool", "x")]));
    }
}
