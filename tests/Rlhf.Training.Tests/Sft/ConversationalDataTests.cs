using System.Text.Json;
using Rlhf.Data;
using Rlhf.Data.Preferences;
using Rlhf.Data.Prompts;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Data;
using Rlhf.Training.Dpo;
using Rlhf.Training.Sft;

namespace Rlhf.Training.Tests.Sft;

/// <summary>
/// Conversational data (TRL's <c>messages</c> lists) through the data layer: SFT examples whose loss covers exactly
/// the assistant tokens of every turn, preference pairs whose chosen and rejected share the prompt's ids, and prompt
/// files with message lists, under the plain format and a ChatML tokenizer.
/// </summary>
public sealed class ConversationalDataTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static readonly BpeTokenizer ChatMlTokenizer =
        BpeTrainer.Train(string.Concat(Enumerable.Repeat("hi there. hello. how are you? fine. User: Assistant:\n", 10)), 300, ["<|im_start|>", "<|im_end|>"]);

    private static object Msg(string role, string content) => new { role, content };

    private string Write(string name, params object[] lines)
    {
        string path = _tmp.File(name);
        File.WriteAllLines(path, lines.Select(l => JsonSerializer.Serialize(l)));
        return path;
    }

    // the (input position → target) pairs a batch trains, decoded one target at a time
    private static List<string> TrainedTargets(BpeTokenizer tok, SftBatch batch) =>
        [.. batch.Targets.Where(t => t != SftCollator.IgnoreIndex).Select(t => tok.Decode([t]))];

    [Theory]
    [InlineData("none")]
    [InlineData("chatml")]
    public void SftMessages_TrainEveryAssistantTurnAndNothingElse(string format)
    {
        var template = ChatTemplate.For(ChatMlTokenizer, format);
        var tok = template.Tokenizer;
        string path = Write("sft.jsonl",
            new { messages = new[] { Msg("user", "hi there"), Msg("assistant", "hello"), Msg("user", "how are you"), Msg("assistant", "fine") } },
            new { prompt = "hi there", response = "hello" });
        var examples = SftData.Load(path, template);
        var collator = new SftCollator(64, tok.EndOfTextId, tok.PadId);
        var batch = collator.Collate([examples[0]]);

        // the trained targets, in order, are the answers' tokens and each answer's end token: hand-checked per format
        var expected = format == "none"
            ? tok.Encode(" hello").Concat(tok.Encode(" fine")).Select(t => tok.Decode([t])).Append("<|endoftext|>")
            : tok.Encode("hello").Select(t => tok.Decode([t])).Append("<|im_end|>").Concat(tok.Encode("fine").Select(t => tok.Decode([t]))).Append("<|im_end|>");
        Assert.Equal(expected, TrainedTargets(tok, batch));
        Assert.Equal(expected.Count(), batch.LossTokens);
        Assert.Equal(batch.LossTokens, (int)batch.LossMask.Sum());

        // position by position: the target at t is ids[t + 1] exactly where that token is an assistant token
        var encoded = template.EncodeConversation([new("user", "hi there"), new("assistant", "hello"), new("user", "how are you"), new("assistant", "fine")]);
        for (int t = 0; t + 1 < encoded.Ids.Length; t++)
            Assert.Equal(encoded.AssistantMask[t + 1] ? encoded.Ids[t + 1] : SftCollator.IgnoreIndex, batch.Targets[t]);

        // a single turn as prompt/response is trained on the answer and its end token
        var single = collator.Collate([examples[1]]);
        Assert.Equal(format == "none"
            ? [.. tok.Encode(" hello").Select(t => tok.Decode([t])), "<|endoftext|>"]
            : [.. tok.Encode("hello").Select(t => tok.Decode([t])), "<|im_end|>"], TrainedTargets(tok, single));
    }

    [Fact]
    public void SftMessages_WithoutAssistantOnlyLoss_TrainEveryTokenAfterTheFirst()
    {
        var template = ChatTemplate.For(ChatMlTokenizer, "chatml");
        string path = Write("sft.jsonl", new { messages = new[] { Msg("user", "hi"), Msg("assistant", "hello") } });
        var ex = SftData.Load(path, template, assistantOnlyLoss: false).Single();
        var batch = new SftCollator(64, ChatMlTokenizer.EndOfTextId, ChatMlTokenizer.PadId).Collate([ex]);
        var ids = template.EncodeConversation([new("user", "hi"), new("assistant", "hello")]).Ids;
        Assert.Equal(ids[1..], batch.Targets[..(ids.Length - 1)]);
    }

    [Theory]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}]}""", "must end with an assistant message")]
    [InlineData("""{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "a"}], "prompt": "x"}""", "unknown field 'prompt'")]
    [InlineData("""{"messages": [{"role": "tool", "content": "hi"}]}""", "messages[0]: role 'tool' is not supported")]
    [InlineData("""{"messages": "hi"}""", "messages is a string")]
    public void SftMessages_BadLines_NameFileAndLine(string line, string expected)
    {
        string path = _tmp.File("bad.jsonl");
        File.WriteAllLines(path, ["""{"prompt": "a", "response": "b"}""", line]);
        var e = Assert.Throws<DataFormatException>(() => SftData.Load(path, ChatTemplate.For(ChatMlTokenizer, "chatml")));
        Assert.StartsWith($"{path}:2: ", e.Message);
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ConversationalPairs_KeepTheMessages_AndShareThePromptIds()
    {
        string path = Write("prefs.jsonl",
            new
            {
                prompt = new[] { Msg("user", "hi there"), Msg("assistant", "hello"), Msg("user", "how are you") },
                chosen = new[] { Msg("assistant", "fine") },
                rejected = new[] { Msg("assistant", "hello") },
            },
            // TRL's implicit prompt: full conversations with a shared prefix
            new
            {
                chosen = new[] { Msg("user", "hi"), Msg("assistant", "fine") },
                rejected = new[] { Msg("user", "hi"), Msg("assistant", "hello") },
            });
        var data = PreferenceData.Load(path);
        Assert.Equal(["user", "assistant", "user"], data.Records[0].Messages!.Select(m => m.Role));
        Assert.Equal("hi there\nAssistant: hello\nUser: how are you", data.Records[0].Prompt);   // the plain format's flattening, as before
        Assert.Null(data.Records[1].Messages);                                                    // one user message is its text
        Assert.Equal("hi", data.Records[1].Prompt);

        var template = ChatTemplate.For(ChatMlTokenizer, "chatml");
        var set = new DpoCollator(template, 64).Encode(data.ExpandPairs().Select(p => p.Pair));
        Assert.Equal(2, set.Pairs.Count);
        foreach (var (c, r) in set.Pairs)
        {
            Assert.Equal(set.Prompts[c], set.Prompts[r]);
            Assert.Equal(template.EndId, set.Responses[c][^1]);
            Assert.Equal(template.EndId, set.Responses[r][^1]);
        }
        Assert.Equal("<|im_start|>user\nhi there<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nhow are you<|im_end|>\n<|im_start|>assistant\n",
            ChatMlTokenizer.Decode(set.Prompts[set.Pairs[0].Chosen]));
        Assert.Equal("fine<|im_end|>", ChatMlTokenizer.Decode(set.Responses[set.Pairs[0].Chosen]));
        Assert.Same(data.Records[0].Messages, set.PromptMessages[set.Pairs[0].Chosen]);

        // written back, the conversation stays a message list
        string copy = _tmp.File("copy.jsonl");
        PreferenceData.Write(copy, data);
        var again = PreferenceData.Load(copy);
        Assert.Equal(data.Records[0].Messages, again.Records[0].Messages);
        Assert.Equal(data.Records[0].Prompt, again.Records[0].Prompt);
    }

    [Fact]
    public void PromptFiles_TakeMessageLists()
    {
        string path = Write("prompts.jsonl",
            new { prompt = "plain text", answer = "1" },
            new { prompt = new[] { Msg("user", "hi"), Msg("assistant", "hello"), Msg("user", "how are you") }, answer = "2" },
            new { prompt = new[] { Msg("user", "just one") } });
        var prompts = RlPrompt.Load(path);
        Assert.Null(prompts[0].Messages);
        Assert.Equal("2", prompts[1].Answer);
        Assert.Equal(["hi", "hello", "how are you"], prompts[1].Messages!.Select(m => m.Content));
        Assert.Equal("hi\nAssistant: hello\nUser: how are you", prompts[1].Prompt);
        Assert.Null(prompts[2].Messages);
        Assert.Equal("just one", prompts[2].Prompt);

        var template = ChatTemplate.For(ChatMlTokenizer, "chatml");
        Assert.Equal("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\nhello<|im_end|>\n<|im_start|>user\nhow are you<|im_end|>\n<|im_start|>assistant\n",
            ChatMlTokenizer.Decode(template.EncodePrompt(prompts[1].Prompt, prompts[1].Messages)));

        File.WriteAllLines(path, ["""{"prompt": [{"role": "user", "content": "a"}, {"role": "assistant", "content": "b"}]}"""]);
        var e = Assert.Throws<DataFormatException>(() => RlPrompt.Load(path));
        Assert.Equal($"{path}:1: the prompt's conversation must end with a user message", e.Message);
        File.WriteAllLines(path, ["""{"prompt": 3}"""]);
        Assert.Contains($"{path}:1: field 'prompt' is a number (3); expected a string", Assert.Throws<DataFormatException>(() => RlPrompt.Load(path)).Message);
    }
}
