using System.Text.Json.Nodes;
using Rlhf.Models.Tokenization;

namespace Rlhf.Models.Tests.Tokenization;

/// <summary>
/// tokenizer.json / tokenizer_config.json features on the tiny fixture (GPT-2 layout, 268 tokens) edited as JSON:
/// BOS from TemplateProcessing or add_bos_token, non-special added tokens, the end-of-text choice.
/// </summary>
public sealed class HuggingFacePipelineTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-hf-pipeline-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // the tiny tokenizer as tokenizer.json with <s> (id 268, special) and <tool> (id 269, not special) added
    private BpeTokenizer Load(Action<JsonNode> edit, string? config = null)
    {
        string path = Path.Combine(_dir, "tokenizer.json");
        TokenizerTestData.Tiny().SaveHuggingFace(path);
        var json = JsonNode.Parse(File.ReadAllText(path))!;
        var added = json["added_tokens"]!.AsArray();
        added.Add(new JsonObject { ["id"] = 268, ["content"] = "<s>", ["special"] = true });
        added.Add(new JsonObject { ["id"] = 269, ["content"] = "<tool>", ["special"] = false });
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
        if (config is not null) File.WriteAllText(Path.Combine(_dir, "tokenizer_config.json"), config);
        return BpeTokenizer.Load(_dir);
    }

    [Fact]
    public void TemplateProcessing_PutsBosFirst()
    {
        var tok = Load(j => j["post_processor"] = JsonNode.Parse("""
            {"type": "Sequence", "processors": [{"type": "ByteLevel"}, {"type": "TemplateProcessing",
             "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
             "pair": [], "special_tokens": {}}]}
            """));
        Assert.Equal([268], tok.PrefixIds);
        Assert.Equal([268, .. tok.Encode("hello")], tok.EncodeWithSpecialTokens("hello"));
        Assert.Equal(tok.Encode("hello"), tok.Encode("hello", allowSpecial: true));   // encode itself adds nothing
    }

    [Fact]
    public void AddBosToken_FromTheConfig_WhenThereIsNoTemplate()
    {
        var tok = Load(_ => { }, """{"bos_token": {"content": "<s>", "__type": "AddedToken"}, "add_bos_token": true, "eos_token": "<|endoftext|>"}""");
        Assert.Equal("<s>", tok.BosToken);
        Assert.Equal([268, .. tok.Encode("hi")], tok.EncodeWithSpecialTokens("hi"));
        var without = Load(_ => { }, """{"bos_token": "<s>", "add_bos_token": false}""");
        Assert.Empty(without.PrefixIds);
    }

    [Fact]
    public void NonSpecialAddedTokens_AreAlwaysOneToken_SpecialOnesOnlyWhenAllowed()
    {
        var tok = Load(_ => { });
        Assert.Equal(tok.Encode("a") is var a ? [.. a, 269, .. a] : null, tok.Encode("a<tool>a"));
        Assert.DoesNotContain(268, tok.Encode("<s>"));
        Assert.Equal([268], tok.Encode("<s>", allowSpecial: true));
        Assert.Equal("a<tool>", tok.Decode([.. tok.Encode("a"), 269, 268], skipSpecial: true));
        Assert.Equal(tok.EndOfTextId, tok.Encode("<|endoftext|>", allowSpecial: true).Single());
    }

    [Fact]
    public void ChatTemplateJinja_WinsOverTheConfig_AndIsSavedAgain()
    {
        File.WriteAllText(Path.Combine(_dir, "chat_template.jinja"), "{{ '<|im_start|>' }}");
        var tok = Load(_ => { }, """{"chat_template": "{{ '<|start_header_id|>' }}"}""");
        Assert.Equal("{{ '<|im_start|>' }}", tok.ChatTemplateSource);
        Assert.EndsWith("chat_template.jinja", tok.ChatTemplatePath);
        string copy = Path.Combine(_dir, "copy");
        tok.Save(copy);
        Assert.Equal("{{ '<|im_start|>' }}", File.ReadAllText(Path.Combine(copy, "chat_template.jinja")));
        Assert.Equal(tok.ChatTemplateSource, BpeTokenizer.Load(copy).ChatTemplateSource);
        Assert.True(tok.SameVocabulary(BpeTokenizer.Load(copy)));
    }

    [Fact]
    public void ConfigErrors_NameTheFileAndField()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Load(_ => { }, """{"add_bos_token": "yes"}"""));
        Assert.Contains("tokenizer_config.json: add_bos_token: expected true or false", e.Message);
        e = Assert.Throws<TokenizerFormatException>(() => Load(_ => { }, """{"bos_token": "<nope>", "add_bos_token": true}"""));
        Assert.Contains("\"<nope>\"", e.Message);
        e = Assert.Throws<TokenizerFormatException>(() => Load(j => j["post_processor"] = JsonNode.Parse(
            """{"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}]}""")));
        Assert.Contains("post_processor.single: expected exactly one Sequence", e.Message);
    }
}
