using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Common;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf tokenizer train</c>: learn a byte-level BPE vocabulary (<see cref="BpeTrainer"/>).</summary>
public static class TokenizerCommand
{
    /// <summary>Builds the <c>tokenizer</c> command with its <c>train</c> verb.</summary>
    public static Command Create()
    {
        var tokenizer = new Command("tokenizer", "Byte-level BPE tokenizers (GPT-2 style).");
        tokenizer.Add(CreateTrain());
        return tokenizer;
    }

    private static Command CreateTrain()
    {
        var data = new Option<string[]>("--data")
        {
            Description = "Text files, or directories of *.txt files (recursive); each file is one document (no merge spans two).",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var vocab = new Option<int>("--vocab-size") { Description = "Vocabulary size: 256 byte tokens + merges + special tokens.", DefaultValueFactory = _ => 4096 }
            .Require(v => v >= 257, "--vocab-size must be at least 257 (256 bytes + <|endoftext|>).");
        var pad = new Option<bool>("--pad") { Description = "Also add a <|pad|> special token (otherwise padding uses <|endoftext|>)." };
        var output = new Option<string>("--out") { Description = "Directory to write tokenizer.json into (must not hold one already).", Required = true };
        var train = new Command("train", "Train a byte-level BPE tokenizer on text files and save it as tokenizer.json (Hugging Face format). "
            + "Every string stays encodable; <|endoftext|> is always a special token.")
        {
            data, vocab, pad, output,
        };
        train.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            string outDir = parse.GetValue(output)!;
            string target = Path.Combine(outDir, "tokenizer.json");
            if (File.Exists(target)) throw new TrainingException($"{target} already exists; choose another --out or delete it");
            var files = InputFiles.Expand(parse.GetValue(data)!);
            var texts = files.Select(File.ReadAllText).ToList();
            long chars = texts.Sum(t => (long)t.Length);
            if (texts.All(string.IsNullOrWhiteSpace)) throw new TrainingException("the input files hold no text");
            var clock = Stopwatch.StartNew();
            var tok = BpeTrainer.Train(texts, parse.GetValue(vocab), parse.GetValue(pad) ? [BpeTokenizer.PadToken] : null);
            double seconds = clock.Elapsed.TotalSeconds;
            tok.Save(outDir);

            // compression on (up to) the first million characters: bytes per token
            var sample = new StringBuilder();
            foreach (string t in texts) sample.Append(t, 0, Math.Min(t.Length, 1_000_000 - sample.Length));
            string text = sample.ToString();
            double bytesPerToken = (double)Encoding.UTF8.GetByteCount(text) / Math.Max(1, tok.Encode(text).Length);
            stdout.WriteLine($"tokenizer: {tok.VocabSize} tokens ({tok.Merges.Count} merges, specials {string.Join(" ", tok.SpecialTokens)}) "
                + $"from {files.Count} file(s), {chars:N0} characters, in {seconds:F1} s; {bytesPerToken:F2} bytes/token → {target}");
            return 0;
        }));
        return train;
    }
}
