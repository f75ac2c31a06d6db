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
}
