using System.Text.Json.Nodes;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Models.Tests.Tokenization;

public sealed class TokenizerFilesTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "rlhf-tokenizer-tests-" + Guid.NewGuid().ToString("N"));

    public TokenizerFilesTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string PathOf(string name) => Path.Combine(_dir, name);

    private static string[] Probes()
    {
        var rng = new Rng(21);
        var probes = new List<string> { TokenizerTestData.Corpus(3_000, seed: 77), "hello<|endoftext|> world<|pad|>" };
        for (int i = 0; i < 50; i++) probes.Add(TokenizerTestData.RandomString(rng, 30));
        return probes.ToArray();
    }

    private static void AssertSameTokenizer(BpeTokenizer expected, BpeTokenizer actual)
    {
        Assert.Equal(expected.VocabSize, actual.VocabSize);
        Assert.Equal(expected.Merges, actual.Merges);
        Assert.Equal(expected.EndOfTextId, actual.EndOfTextId);
        Assert.Equal(expected.PadId, actual.PadId);
        Assert.Equal(expected.SpecialTokens, actual.SpecialTokens);
        foreach (string text in Probes())
        {
            Assert.Equal(expected.Encode(text), actual.Encode(text));
            Assert.Equal(expected.Encode(text, allowSpecial: true), actual.Encode(text, allowSpecial: true));
        }
    }

    [Fact]
    public void Gpt2Format_RoundTrips()
    {
        var tok = TokenizerTestData.Trained;
        tok.SaveGpt2(PathOf("vocab.json"), PathOf("merges.txt"));
        Assert.Equal("#version: 0.2", File.ReadLines(PathOf("merges.txt")).First());
        AssertSameTokenizer(tok, BpeTokenizer.LoadGpt2(PathOf("vocab.json"), PathOf("merges.txt")));
        AssertSameTokenizer(tok, BpeTokenizer.Load(_dir));
        Assert.Equal(["merges.txt", "vocab.json"], Directory.GetFiles(_dir).Select(Path.GetFileName).Order());   // no temp files left
    }

    [Fact]
    public void HuggingFaceFormat_RoundTrips_AndOverwrites()
    {
        var tok = TokenizerTestData.Trained;
        File.WriteAllText(PathOf("tokenizer.json"), "old contents");
        tok.Save(_dir);
        AssertSameTokenizer(tok, BpeTokenizer.LoadHuggingFace(PathOf("tokenizer.json")));
        AssertSameTokenizer(tok, BpeTokenizer.Load(_dir));
        Assert.Single(Directory.GetFiles(_dir));
        var json = JsonNode.Parse(File.ReadAllText(PathOf("tokenizer.json")))!;
        Assert.Equal("BPE", (string?)json["model"]!["type"]);
        Assert.Equal(tok.EndOfTextId, (int)json["added_tokens"]![0]!["id"]!);
    }

    [Fact]
    public void HuggingFaceFormat_ReadsMergesAsArrays()
    {
        var tok = TokenizerTestData.Trained;
        tok.SaveHuggingFace(PathOf("tokenizer.json"));
        var json = JsonNode.Parse(File.ReadAllText(PathOf("tokenizer.json")))!;
        var merges = json["model"]!["merges"]!.AsArray();
        var arrays = new JsonArray(merges.Select(m => (JsonNode)new JsonArray(((string)m!).Split(' ').Select(s => (JsonNode)JsonValue.Create(s)!).ToArray())).ToArray());
        json["model"]!["merges"] = arrays;
        File.WriteAllText(PathOf("arrays.json"), json.ToJsonString());
        AssertSameTokenizer(tok, BpeTokenizer.LoadHuggingFace(PathOf("arrays.json")));
    }

    [Fact]
    public void TinyFixture_SurvivesBothFormats()
    {
        var tiny = TokenizerTestData.Tiny();
        tiny.SaveHuggingFace(PathOf("tokenizer.json"));
        tiny.SaveGpt2(PathOf("vocab.json"), PathOf("merges.txt"));
        Assert.Equal([261, 266], BpeTokenizer.LoadHuggingFace(PathOf("tokenizer.json")).Encode("hello world"));
        Assert.Equal([261, 266], BpeTokenizer.LoadGpt2(PathOf("vocab.json"), PathOf("merges.txt")).Encode("hello world"));
        Assert.Equal(File.ReadAllText(TokenizerTestData.TinyMerges), File.ReadAllText(PathOf("merges.txt")));
    }

    // Writes the fixture's vocab.json and a merges.txt with the given lines after the header; returns the error.
    private TokenizerFormatException Gpt2Error(string vocabJson, params string[] mergeLines)
    {
        File.WriteAllText(PathOf("vocab.json"), vocabJson);
        File.WriteAllLines(PathOf("merges.txt"), ["#version: 0.2", .. mergeLines]);
        return Assert.Throws<TokenizerFormatException>(() => BpeTokenizer.LoadGpt2(PathOf("vocab.json"), PathOf("merges.txt")));
    }

    private static string TinyVocabJson => File.ReadAllText(TokenizerTestData.TinyVocab);

    [Fact]
    public void Gpt2Format_MalformedMerges_NameFileAndLine()
    {
        var e = Gpt2Error(TinyVocabJson, "Ġ t", "h e l");
        Assert.StartsWith(PathOf("merges.txt") + ":3:", e.Message);
        Assert.Contains("two tokens", e.Message);

        e = Gpt2Error(TinyVocabJson, "Ġ t", "h zz");
        Assert.StartsWith(PathOf("merges.txt") + ":3:", e.Message);
        Assert.Contains("\"zz\"", e.Message);

        e = Gpt2Error(TinyVocabJson, "", "e h");             // blank lines are skipped but counted
        Assert.StartsWith(PathOf("merges.txt") + ":3:", e.Message);
        Assert.Contains("makes \"eh\"", e.Message);

        e = Gpt2Error(TinyVocabJson, "h e", "h e");
        Assert.Contains("appears twice", e.Message);
    }

    [Fact]
    public void Gpt2Format_MalformedVocab_NamesFileAndProblem()
    {
        var e = Gpt2Error("{\"a\": 0,\n \"b\": }");
        Assert.StartsWith(PathOf("vocab.json") + ":2: invalid JSON", e.Message);

        e = Gpt2Error("{\"a\": \"zero\"}");
        Assert.Contains("token \"a\": id must be a non-negative integer", e.Message);

        e = Gpt2Error(TinyVocabJson.Replace("\"<|endoftext|>\": 267", "\"<|endoftext|>\": 300"));
        Assert.Contains("id 267 is missing", e.Message);

        e = Gpt2Error(TinyVocabJson.Replace("\"A\": 32", "\"AA\": 32"));
        Assert.Contains("byte 0x41", e.Message);

        e = Gpt2Error(TinyVocabJson.Replace("\"<|endoftext|>\": 267", "\"<|end|>\": 267"));
        Assert.Contains("<|endoftext|> is missing", e.Message);
    }

    private TokenizerFormatException HfError(Action<JsonNode> edit)
    {
        TokenizerTestData.Tiny().SaveHuggingFace(PathOf("tokenizer.json"));
        var json = JsonNode.Parse(File.ReadAllText(PathOf("tokenizer.json")))!;
        edit(json);
        File.WriteAllText(PathOf("tokenizer.json"), json.ToJsonString());
        var e = Assert.Throws<TokenizerFormatException>(() => BpeTokenizer.LoadHuggingFace(PathOf("tokenizer.json")));
        Assert.StartsWith(PathOf("tokenizer.json") + ":", e.Message);
        return e;
    }

    [Fact]
    public void HuggingFaceFormat_Malformed_NamesFileAndPath()
    {
        Assert.Contains("model.type is \"WordPiece\"", HfError(j => j["model"]!["type"] = "WordPiece").Message);
        Assert.Contains("normalizer.type: \"Lowercase\" is not supported", HfError(j => j["normalizer"] = new JsonObject { ["type"] = "Lowercase" }).Message);
        Assert.Contains("pre_tokenizer.pretokenizers[1].type: \"Metaspace\" is not supported", HfError(j => j["pre_tokenizer"] = JsonNode.Parse(
            """{"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}, {"type": "Metaspace"}]}""")).Message);
        Assert.Contains("no ByteLevel stage", HfError(j => j["pre_tokenizer"] = JsonNode.Parse(
            """{"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Isolated"}""")).Message);
        Assert.Contains("pre_tokenizer.pretokenizers[0].behavior: \"Sideways\"", HfError(j => j["pre_tokenizer"] = JsonNode.Parse(
            """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "a"}, "behavior": "Sideways"}, {"type": "ByteLevel"}]}""")).Message);
        Assert.Contains("pre_tokenizer.pretokenizers[0].pattern.Regex: .NET cannot compile", HfError(j => j["pre_tokenizer"] = JsonNode.Parse(
            """{"type": "Sequence", "pretokenizers": [{"type": "Split", "pattern": {"Regex": "(a"}, "behavior": "Isolated"}, {"type": "ByteLevel"}]}""")).Message);
        Assert.Contains("post_processor.type: \"BertProcessing\" is not supported", HfError(j => j["post_processor"] = new JsonObject { ["type"] = "BertProcessing" }).Message);
        Assert.Contains("decoder.type: \"Metaspace\"", HfError(j => j["decoder"] = new JsonObject { ["type"] = "Metaspace" }).Message);
        Assert.Contains("added_tokens[0].lstrip is true", HfError(j => j["added_tokens"]![0]!["lstrip"] = true).Message);
        Assert.Contains("model.merges[3]", HfError(j => j["model"]!["merges"]![3] = 17).Message);
        Assert.Contains("model.merges[1]: merge part \"zz\"", HfError(j => j["model"]!["merges"]![1] = "h zz").Message);
        Assert.Contains("<|endoftext|> is missing", HfError(j => j["added_tokens"]![0]!["special"] = false).Message);
        Assert.Contains("two ids", HfError(j => j["added_tokens"]![0]!["id"] = 5).Message);
    }

    [Fact]
    public void Load_MissingFiles_Throw()
    {
        Assert.Throws<FileNotFoundException>(() => BpeTokenizer.Load(_dir));
        Assert.Throws<FileNotFoundException>(() => BpeTokenizer.LoadHuggingFace(PathOf("nope.json")));
    }
}
