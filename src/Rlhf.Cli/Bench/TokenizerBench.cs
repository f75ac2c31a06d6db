using System.CommandLine;
using System.Diagnostics;
using System.Text;
using Rlhf.Models.Tokenization;

namespace Rlhf.Cli.Bench;

/// <summary>
/// <c>rlhf bench tokenizer</c>: encoding speed of a tokenizer on a text file, one thread, in MB/s of UTF-8 input:
/// a cold pass (right after loading: every word goes through BPE) and the median of warm passes (words cached).
/// </summary>
public static class TokenizerBench
{
    /// <summary>One result line.</summary>
    public sealed record Record(string Bench, string Tokenizer, long Bytes, int Tokens, double LoadSeconds, double ColdMbPerSecond,
        double WarmMbPerSecond, double BytesPerToken);

    /// <summary>Builds the <c>tokenizer</c> verb of <c>bench</c>.</summary>
    public static Command Create()
    {
        var tokenizer = new Option<string>("--tokenizer") { Description = "Tokenizer directory or tokenizer.json.", Required = true };
        var file = new Option<string>("--file") { Description = "UTF-8 text file to encode.", Required = true };
        var repeats = new Option<int>("--repeats") { Description = "Warm passes after the cold one; the median is reported.", DefaultValueFactory = _ => 5 };
        var json = new Option<bool>("--json") { Description = "Print one JSON line instead of text." };
        var command = new Command("tokenizer", "Time encoding a text file on one thread: MB/s of UTF-8 input, cold (fresh word cache) and warm (median).")
        {
            tokenizer, file, repeats, json,
        };
        command.SetAction(parse =>
        {
            var output = parse.InvocationConfiguration.Output;
            string text = File.ReadAllText(parse.GetValue(file)!, Encoding.UTF8);
            long bytes = Encoding.UTF8.GetByteCount(text);
            var clock = Stopwatch.StartNew();
            var tok = BpeTokenizer.Load(parse.GetValue(tokenizer)!);
            double load = clock.Elapsed.TotalSeconds;
            clock.Restart();
            int tokens = tok.Encode(text, allowSpecial: true).Length;
            double cold = clock.Elapsed.TotalSeconds;
            var warm = new List<double>();
            for (int i = 0; i < Math.Max(1, parse.GetValue(repeats)); i++)
            {
                clock.Restart();
                tok.Encode(text, allowSpecial: true);
                warm.Add(clock.Elapsed.TotalSeconds);
            }
            warm.Sort();
            double mb = bytes / 1e6;
            var record = new Record("tokenizer", parse.GetValue(tokenizer)!, bytes, tokens, load, mb / cold, mb / warm[warm.Count / 2],
                (double)bytes / Math.Max(1, tokens));
            output.WriteLine(parse.GetValue(json) ? BenchJson.Line(record)
                : $"tokenizer {record.Tokenizer}: {bytes:N0} bytes → {tokens:N0} tokens ({record.BytesPerToken:F2} bytes/token); load {load:F2} s; "
                  + $"encode cold {record.ColdMbPerSecond:F2} MB/s, warm {record.WarmMbPerSecond:F2} MB/s (one thread)");
            return 0;
        });
        return command;
    }
}
