using Rlhf.Cli;
using Rlhf.Models.Tokenization;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf tokenizer train</c> in-process.</summary>
public sealed class TokenizerTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-tok-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static (int Code, string Out, string Err) Run(params string[] args) => InProcessCli.Run(args);

    [Fact]
    public void Train_OnADirectory_WritesTokenizerJsonOfTheRequestedSize()
    {
        string data = Path.Combine(_dir, "data");
        Directory.CreateDirectory(data);
        File.WriteAllText(Path.Combine(data, "a.txt"), string.Concat(Enumerable.Repeat("the cat sat on the mat. the dog ran. ", 50)));
        File.WriteAllText(Path.Combine(data, "b.txt"), string.Concat(Enumerable.Repeat("a bird sang in the tree. ", 50)));
        File.WriteAllText(Path.Combine(data, "skip.bin"), "\0\0\0");
        string outDir = Path.Combine(_dir, "tok");
        var (code, output, error) = Run("tokenizer", "train", "--data", data, "--vocab-size", "280", "--pad", "--out", outDir);
        Assert.True(code == 0, error);
        var tok = BpeTokenizer.Load(outDir);
        Assert.Equal(280, tok.VocabSize);
        Assert.True(tok.HasPadToken);
        Assert.Contains("280 tokens", output);
        Assert.Contains("from 2 file(s)", output);
        Assert.Equal("the cat sat", tok.Decode(tok.Encode("the cat sat")));

        // a second run does not overwrite it
        var again = Run("tokenizer", "train", "--data", data, "--vocab-size", "300", "--out", outDir);
        Assert.Equal(1, again.Code);
        Assert.Contains("already exists", again.Err);
        Assert.Equal(280, BpeTokenizer.Load(outDir).VocabSize);
    }

    [Theory]
    [InlineData("no such file or directory", "--data", "{dir}/missing.txt", "--out", "{dir}/t")]
    [InlineData("--vocab-size must be at least 257", "--data", "{dir}", "--vocab-size", "100", "--out", "{dir}/t")]
    [InlineData("hold no *.txt files", "--data", "{dir}", "--out", "{dir}/t")]
    public void Train_BadInput_FailsWithAMessage(string expected, params string[] args)
    {
        var (code, _, error) = Run(["tokenizer", "train", .. args.Select(a => a.Replace("{dir}", _dir))]);
        Assert.Equal(1, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error); // no stack trace
    }

    // a small trained tokenizer (GPT-2 layout) for encode/decode
    private string TrainSmall()
    {
        string data = Path.Combine(_dir, "corpus.txt");
        File.WriteAllText(data, string.Concat(Enumerable.Repeat("the cat sat on the mat. the dog ran. ", 40)));
        string outDir = Path.Combine(_dir, "small");
        Assert.Equal(0, Run("tokenizer", "train", "--data", data, "--vocab-size", "290", "--out", outDir).Code);
        return outDir;
    }

    [Fact]
    public void EncodeThenDecode_GivesTheTextBack_AndMatchesTheLibrary()
    {
        string dir = TrainSmall();
        var tok = BpeTokenizer.Load(dir);
        var (code, output, error) = Run("tokenizer", "encode", "--tokenizer", dir, "--text", "the cat<|endoftext|> ran\\n");
        Assert.True(code == 0, error);
        string ids = output.Trim();
        Assert.Equal(string.Join(",", tok.Encode("the cat<|endoftext|> ran\n", allowSpecial: true)), ids);
        Assert.Contains(tok.EndOfTextId.ToString(), ids.Split(','));

        var decoded = Run("tokenizer", "decode", "--tokenizer", dir, "--ids", ids);
        Assert.Equal(0, decoded.Code);
        Assert.Equal("the cat<|endoftext|> ran\n\n", decoded.Out);
        Assert.Equal("the cat ran\n\n", Run("tokenizer", "decode", "--tokenizer", dir, "--ids", ids, "--skip-special").Out);

        // --plain-specials: the special string is ordinary text
        var plain = Run("tokenizer", "encode", "--tokenizer", dir, "--text", "<|endoftext|>", "--plain-specials");
        Assert.DoesNotContain(tok.EndOfTextId.ToString(), plain.Out.Trim().Split(','));

        // --file and --json
        string file = Path.Combine(_dir, "in.txt");
        File.WriteAllText(file, "the dog sat");
        var json = Run("tokenizer", "encode", "--tokenizer", dir, "--file", file, "--json");
        Assert.Equal(0, json.Code);
        using var doc = System.Text.Json.JsonDocument.Parse(json.Out);
        Assert.Equal(tok.Encode("the dog sat"), doc.RootElement.GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(11, doc.RootElement.GetProperty("bytes").GetInt32());
        Assert.Equal("the dog sat", string.Concat(doc.RootElement.GetProperty("tokens").EnumerateArray().Select(e => e.GetString())));
    }

    [Theory]
    [InlineData("give exactly one of --text", "encode")]
    [InlineData("give exactly one of --text", "encode", "--text", "a", "--file", "{dir}/x.txt")]
    [InlineData("no such file", "encode", "--file", "{dir}/missing.txt")]
    [InlineData("item 2 (\"x\") is not a non-negative integer", "decode", "--ids", "1,x")]
    [InlineData("item 1 (99999) is outside the vocab", "decode", "--ids", "99999")]
    public void EncodeDecode_BadInput_FailsWithAMessage(string expected, params string[] args)
    {
        string dir = TrainSmall();
        var (code, _, error) = Run(["tokenizer", args[0], "--tokenizer", dir, .. args.Skip(1).Select(a => a.Replace("{dir}", _dir))]);
        Assert.Equal(1, code);
        Assert.Contains(expected, error);
        Assert.DoesNotContain("   at ", error);
    }

    [Fact]
    public void Encode_AnUnsupportedTokenizerJson_NamesTheFileAndField()
    {
        string dir = TrainSmall();
        string path = Path.Combine(dir, "tokenizer.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        json["pre_tokenizer"] = System.Text.Json.Nodes.JsonNode.Parse("""{"type": "Sequence", "pretokenizers": [{"type": "ByteLevel"}, {"type": "Metaspace"}]}""");
        File.WriteAllText(path, json.ToJsonString());
        var (code, _, error) = Run("tokenizer", "encode", "--tokenizer", dir, "--text", "hi");
        Assert.Equal(1, code);
        Assert.Contains(path + ": pre_tokenizer.pretokenizers[1].type: \"Metaspace\" is not supported", error);
    }
}
