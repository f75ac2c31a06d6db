using System.CommandLine;
using System.Diagnostics;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Common;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf tokenizer train</c>: learn a byte-level BPE vocabulary (<see cref="BpeTrainer"/>); <c>rlhf tokenizer
/// encode</c> / <c>decode</c>: ids of a text and back, for checking a tokenizer (GPT-2, Qwen, Llama 3, SmolLM2).
/// </summary>
public static class TokenizerCommand
{
    /// <summary>Builds the <c>tokenizer</c> command with its <c>train</c> verb.</summary>
    public static Command Create()
    {
        var tokenizer = new Command("tokenizer", "Byte-level BPE tokenizers (GPT-2 style, and Hugging Face tokenizer.json of Qwen, Llama 3, SmolLM2).");
        tokenizer.Add(CreateTrain());
        tokenizer.Add(CreateEncode());
        tokenizer.Add(CreateDecode());
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

    private static Option<string> TokenizerOption() => new("--tokenizer")
    {
        Description = "Tokenizer directory (tokenizer.json [+ tokenizer_config.json], or vocab.json + merges.txt) or a tokenizer.json file.",
        Required = true,
    };

    private static Command CreateEncode()
    {
        var tokenizer = TokenizerOption();
        var text = new Option<string?>("--text") { Description = "The text to encode (\\n and \\t are read as a line break and a tab)." };
        var file = new Option<string?>("--file") { Description = "Encode this file's text (UTF-8) instead." };
        var json = new Option<bool>("--json") { Description = "Print {\"ids\", \"tokens\", \"count\", \"bytes\"} as JSON (tokens in readable form) instead of the ids." };
        var plain = new Option<bool>("--plain-specials") { Description = "Encode special-token strings in the text as plain text (default: they become their special ids, as Hugging Face's encode does)." };
        var addSpecial = new Option<bool>("--add-special-tokens") { Description = "Add the model's special tokens around the text (BOS for Llama 3), as Hugging Face's encode(text) does." };
        var encode = new Command("encode", "Print the token ids of a text, comma-separated (or JSON with --json).")
        {
            tokenizer, text, file, json, plain, addSpecial,
        };
        encode.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            string? t = parse.GetValue(text), f = parse.GetValue(file);
            if ((t is null) == (f is null)) throw new TrainingException("give exactly one of --text \"...\" or --file <path>");
            string input = t is not null ? CommandSupport.Unescape(t) : File.ReadAllText(CommandSupport.ExistingFile(f!), Encoding.UTF8);
            var tok = CommandSupport.LoadTokenizer(parse.GetValue(tokenizer)!);
            bool allowSpecial = !parse.GetValue(plain);
            var ids = new List<int>();
            if (parse.GetValue(addSpecial)) ids.AddRange(tok.PrefixIds);
            tok.EncodeTo(input, ids, allowSpecial);
            if (parse.GetValue(addSpecial)) ids.AddRange(tok.SuffixIds);
            if (!parse.GetValue(json))
            {
                stdout.WriteLine(string.Join(",", ids));
                return 0;
            }
            var record = new TokenizerEncodeRecord(ids.ToArray(), ids.Select(tok.TokenToString).ToArray(), ids.Count,
                Encoding.UTF8.GetByteCount(input));
            stdout.WriteLine(JsonSerializer.Serialize(record, JsonOut));
            return 0;
        }));
        return encode;
    }

    private static Command CreateDecode()
    {
        var tokenizer = TokenizerOption();
        var ids = new Option<string>("--ids") { Description = "Token ids separated by commas and/or spaces, e.g. \"9707,11,1879\".", Required = true };
        var skip = new Option<bool>("--skip-special") { Description = "Leave special tokens out of the text." };
        var decode = new Command("decode", "Print the text of token ids (bytes joined and read as UTF-8).") { tokenizer, ids, skip };
        decode.SetAction(parse => CommandSupport.RunReportingErrors(parse, (stdout, _) =>
        {
            var tok = CommandSupport.LoadTokenizer(parse.GetValue(tokenizer)!);
            var parts = parse.GetValue(ids)!.Split([',', ' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
            var values = new int[parts.Length];
            for (int i = 0; i < parts.Length; i++)
            {
                if (!int.TryParse(parts[i], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out values[i]))
                    throw new TrainingException($"--ids: item {i + 1} (\"{parts[i]}\") is not a non-negative integer");
                if (values[i] >= tok.VocabSize)
                    throw new TrainingException($"--ids: item {i + 1} ({values[i]}) is outside the vocab (size {tok.VocabSize})");
            }
            stdout.Write(tok.Decode(values, parse.GetValue(skip)));
            stdout.WriteLine();
            return 0;
        }));
        return decode;
    }

    private static readonly JsonSerializerOptions JsonOut = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
}
