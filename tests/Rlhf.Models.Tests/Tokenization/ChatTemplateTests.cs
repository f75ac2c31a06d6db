using Rlhf.Models.Tokenization;

namespace Rlhf.Models.Tests.Tokenization;

/// <summary>
/// <see cref="ChatTemplate"/>, the one prompt/response encoder of every verb: the choice from tokenizer_config.json,
/// the assistant mask of multi-turn conversations (which tokens SFT trains), renderings equal to what transformers'
/// apply_chat_template gives (written out by hand from the real templates), and prompt/response pairs that share the
/// prompt's ids exactly (DPO, reward models).
/// </summary>
public sealed class ChatTemplateTests
{
    private static readonly ChatMessage[] Conversation =
    [
        new("user", "hi there"),
        new("assistant", "hello"),
        new("user", "how are you"),
        new("assistant", "fine"),
    ];

    private static BpeTokenizer Plain() =>
        BpeTrainer.Train(string.Concat(Enumerable.Repeat("hi there. hello. how are you? fine. User: Assistant:\n", 10)), 300);

    // runs of equal mask value, decoded: (assistant?, text)
    private static List<(bool Assistant, string Text)> Runs(BpeTokenizer tok, ChatEncoding e)
    {
        var runs = new List<(bool, string)>();
        for (int start = 0; start < e.Ids.Length;)
        {
            int end = start;
            while (end < e.Ids.Length && e.AssistantMask[end] == e.AssistantMask[start]) end++;
            runs.Add((e.AssistantMask[start], tok.Decode(e.Ids.AsSpan(start, end - start))));
            start = end;
        }
        return runs;
    }

    [Fact]
    public void PlainFormat_MultiTurn_TrainsEveryAnswerAndTheEndOfText_Only()
    {
        var tok = Plain();
        var template = ChatTemplate.For(tok);
        Assert.Null(template.Format);
        Assert.Equal("none", template.Name);
        var e = template.EncodeConversation(Conversation);
        Assert.Equal(
        [
            (false, "User: hi there\nAssistant:"),
            (true, " hello"),
            (false, "\nUser: how are you\nAssistant:"),
            (true, " fine<|endoftext|>"),
        ], Runs(tok, e));
        // one turn as messages is exactly the prompt/response example
        var single = template.EncodeConversation([new("user", "hi there"), new("assistant", "hello")]);
        Assert.Equal(template.Encode("hi there", "hello").Ids, single.Ids);
        // the plain format cannot show a system message or a conversation that does not alternate
        Assert.Contains("--chat-template", Assert.Throws<ArgumentException>(() => template.EncodeConversation([new("system", "s"), .. Conversation])).Message);
        Assert.Throws<ArgumentException>(() => template.EncodeConversation([new("user", "a"), new("user", "b"), new("assistant", "c")]));
        Assert.Throws<ArgumentException>(() => template.EncodeConversation([new("user", "a")]));
    }

    [Fact]
    public void ChatMl_MultiTurn_MaskCoversEachAnswerAndItsImEnd()
    {
        var qwen = RealTokenizers.Tokenizer("qwen3");
        var template = ChatTemplate.For(qwen, "chatml");
        var e = template.EncodeConversation([new("system", "Be brief."), .. Conversation]);
        Assert.Equal(
        [
            (false, "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\n"),
            (true, "hello<|im_end|>"),
            (false, "\n<|im_start|>user\nhow are you<|im_end|>\n<|im_start|>assistant\n"),
            (true, "fine<|im_end|>"),
        ], Runs(qwen, e));
        // token by token: the trained positions are exactly the answers' tokens and their <|im_end|>
        int[] trained = [.. Enumerable.Range(0, e.Ids.Length).Where(i => e.AssistantMask[i])];
        Assert.Equal(["hello", "<|im_end|>", "fine", "<|im_end|>"], trained.Select(i => qwen.Decode([e.Ids[i]])));
        Assert.Equal(template.EndId, e.Ids[^1]);
    }

    [Fact]
    public void Renderings_EqualApplyChatTemplate_ForChatMlAndLlama3()
    {
        ChatMessage[] chat = [new("system", "You are terse."), new("user", "What is 2+2?"), new("assistant", "4"), new("user", "And 3*3?")];
        // Qwen2.5-style ChatML (tokenizer_config.json's template with a system message given): every message, then the generation prompt
        var chatMl = ChatTemplate.For(RealTokenizers.Tokenizer("qwen3"), "chatml").Format!;
        Assert.Equal(
            "<|im_start|>system\nYou are terse.<|im_end|>\n<|im_start|>user\nWhat is 2+2?<|im_end|>\n<|im_start|>assistant\n4<|im_end|>\n"
            + "<|im_start|>user\nAnd 3*3?<|im_end|>\n<|im_start|>assistant\n",
            chatMl.Render(chat, addGenerationPrompt: true));
        // Llama 3 (the real tokenizer_config.json's template): bos_token, then per message header + content|trim + <|eot_id|>, and the
        // template always ends with the assistant header
        var llama = ChatTemplate.For(RealTokenizers.Tokenizer("llama3"));
        Assert.Equal("llama3", llama.Name);
        Assert.Equal(
            "<|begin_of_text|><|start_header_id|>system<|end_header_id|>\n\nYou are terse.<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nWhat is 2+2?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n4<|eot_id|>"
            + "<|start_header_id|>user<|end_header_id|>\n\nAnd 3*3?<|eot_id|>"
            + "<|start_header_id|>assistant<|end_header_id|>\n\n",
            llama.Format!.Render([.. chat.Take(3), new("user", "  And 3*3?\n")], addGenerationPrompt: true));
    }

    [Theory]
    [InlineData("qwen3", "chatml")]
    [InlineData("qwen3", "qwen3")]
    [InlineData("llama3", "llama3")]
    public void ChosenAndRejected_ShareThePromptIds_AndEndAtEndOfTurn(string tokenizer, string format)
    {
        var tok = RealTokenizers.Tokenizer(tokenizer);
        var template = ChatTemplate.For(tok, format);
        ChatMessage[] prompt = [new("user", "hi there"), new("assistant", "hello"), new("user", "how are you")];
        var chosen = template.Encode("flattened text (unused by chat formats)", prompt, "fine, thanks");
        var rejected = template.Encode("flattened text (unused by chat formats)", prompt, "bad");
        int[] head = template.EncodePrompt("unused", prompt);
        Assert.Equal(head.Length, chosen.PromptLength);
        Assert.Equal(head.Length, rejected.PromptLength);
        Assert.Equal(head, chosen.Ids[..chosen.PromptLength]);
        Assert.Equal(head, rejected.Ids[..rejected.PromptLength]);
        Assert.Equal(template.EndId, chosen.Ids[^1]);
        Assert.Equal("fine, thanks", template.DecodeResponse(chosen.Ids[chosen.PromptLength..]));
        Assert.Equal("bad" + tok.Decode([template.EndId]), tok.Decode(rejected.Ids[rejected.PromptLength..]));
        // the whole sequence is the conversation with the answer as its last message, cut after the end-of-turn
        var whole = template.Format!.Encode([.. prompt, new("assistant", "fine, thanks")]).Ids;
        Assert.Equal(chosen.Ids, whole[..chosen.Ids.Length]);
        // a text prompt is one user message
        Assert.Equal(template.EncodePrompt("unused", [new("user", "hi")]), template.EncodePrompt("hi"));
    }

    [Fact]
    public void PlainFormat_PromptAndResponse_AreTheUserAssistantTranscript()
    {
        var tok = Plain();
        var template = new ChatTemplate(tok);
        var ids = template.Encode("hi there", "hello");
        Assert.Equal("User: hi there\nAssistant:", tok.Decode(ids.Ids[..ids.PromptLength]));
        Assert.Equal(" hello<|endoftext|>", tok.Decode(ids.Ids[ids.PromptLength..]));
        Assert.Equal(tok.EndOfTextId, template.EndId);
    }

    [Fact]
    public void Choice_AutoNoneOrName_AndClearErrors()
    {
        var qwen = RealTokenizers.Tokenizer("qwen3");
        Assert.Equal("qwen3", ChatTemplate.For(qwen).Name);          // auto: from tokenizer_config.json
        Assert.Equal("qwen3", ChatTemplate.For(qwen, "AUTO").Name);
        Assert.Null(ChatTemplate.For(qwen, "none").Format);          // none: the plain format even with a template
        Assert.Equal("llama3", ChatTemplate.For(RealTokenizers.Tokenizer("llama3"), "llama3").Name);

        var unknown = Assert.Throws<TokenizerFormatException>(() => ChatTemplate.For(RealTokenizers.WithTemplate("qwen3", "{{ messages[0].content }}")));
        Assert.Contains("tokenizer_config.json: chat_template is not a layout", unknown.Message);
        Assert.Contains("--chat-template chatml|qwen3|llama3, or none", unknown.Message);
        var name = Assert.Throws<TokenizerFormatException>(() => ChatTemplate.For(qwen, "vicuna"));
        Assert.Contains("auto, none, chatml, qwen3, llama3", name.Message);
        // a named format whose special tokens the tokenizer lacks
        Assert.Contains("<|eot_id|>", Assert.Throws<TokenizerFormatException>(() => ChatTemplate.For(Plain(), "llama3")).Message);
    }
}
