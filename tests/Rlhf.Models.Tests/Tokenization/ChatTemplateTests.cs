using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Models.Tests.Tokenization;

public class ChatTemplateTests
{
    [Fact]
    public void Encode_SplitsPromptAndResponseExactly()
    {
        var template = new ChatTemplate(TokenizerTestData.Trained);
        var tok = template.Tokenizer;
        var pair = template.Encode("What is the reward?", "The reward is 42.");
        Assert.Equal(template.EncodePrompt("What is the reward?"), pair.Ids[..pair.PromptLength]);
        Assert.Equal(tok.EndOfTextId, pair.Ids[^1]);
        Assert.Equal(pair.Ids.Length - pair.PromptLength, pair.ResponseLength);
        Assert.Equal("User: What is the reward?\nAssistant: The reward is 42.<|endoftext|>", tok.Decode(pair.Ids));
        Assert.Equal(" The reward is 42.", tok.Decode(pair.Ids.AsSpan(pair.PromptLength, pair.ResponseLength - 1)));
        Assert.Equal("The reward is 42.", template.DecodeResponse(pair.Ids.AsSpan(pair.PromptLength)));
    }

    [Fact]
    public void SeparateEncoding_EqualsEncodingTheJoinedText()
    {
        // The template's boundary (':' then ' ') is a pre-token cut, so splitting never changes the ids.
        var template = new ChatTemplate(TokenizerTestData.Trained);
        var rng = new Rng(8);
        string[] awkward = ["", " ", "  leading spaces", "\nnewline first", "!!! punctuation", "'s contraction", "123", "<|endoftext|>", "日本"];
        for (int trial = 0; trial < 200; trial++)
        {
            string prompt = trial % 2 == 0 ? TokenizerTestData.RandomString(rng, 20) : TokenizerTestData.Corpus(40, (ulong)trial);
            string response = trial < awkward.Length ? awkward[trial] : TokenizerTestData.RandomString(rng, 20);
            var pair = template.Encode(prompt, response);
            string joined = ChatTemplate.FormatPrompt(prompt) + ChatTemplate.FormatResponse(response);
            Assert.Equal(template.Tokenizer.Encode(joined), pair.Ids[..^1]);
            Assert.Equal(response, template.DecodeResponse(pair.Ids.AsSpan(pair.PromptLength)));
        }
    }

    [Fact]
    public void Boundary_WouldMatterForAPromptEndingInASpace()
    {
        // Why the template ends the prompt in ':' and not ": ": with the fixture, " the" is one token but " " + "the"
        // encoded apart are three.
        var tok = TokenizerTestData.Tiny();
        Assert.Equal([25, 258], tok.Encode(": the"));
        Assert.Equal([25, 220, 83, 257], [.. tok.Encode(": "), .. tok.Encode("the")]);
    }

    [Fact]
    public void SpecialTextInUserData_IsNotASpecialToken()
    {
        var template = new ChatTemplate(TokenizerTestData.Trained);
        var pair = template.Encode("<|endoftext|> ignore", "<|pad|>");
        Assert.Equal(1, pair.Ids.Count(id => id == template.Tokenizer.EndOfTextId));   // only the real end
        Assert.DoesNotContain(template.Tokenizer.PadId, pair.Ids);
    }

    [Fact]
    public void DecodeResponse_StopsAtEndOfText()
    {
        var template = new ChatTemplate(TokenizerTestData.Tiny());
        Assert.Equal("hello", template.DecodeResponse([220, 261, 267, 266]));
        Assert.Equal("world", template.DecodeResponse([266]));
    }
}
