using System.CommandLine;
using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Pretrain;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf pretrain</c>: train a GPT language model on text files (<see cref="PretrainTrainer"/>).</summary>
public static class PretrainCommand
{
    /// <summary>Builds the <c>pretrain</c> verb.</summary>
    public static Command Create()
    {
        var defaults = new PretrainConfig { OutDir = "" };
        var training = new TrainingOptions(defaults, "Optimizer steps; the learning rate decays to --min-lr at the last one.",
            "Fraction of the token stream (its end) held out for the validation loss.");
        var data = new Option<string[]>("--data")
        {
            Description = "Text files, or directories of *.txt files (recursive). Each file is a document followed by <|endoftext|>, unless --separator splits it. Required unless --resume (the run's files are saved with it).",
            AllowMultipleArgumentsPerToken = true,
        };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer directory (tokenizer.json, from `rlhf tokenizer train`); with --resume defaults to the checkpoint's." };
        var config = new Option<string>("--config")
        {
            Description = "Model size: A (6 layers, 6 heads, d=384, context 256), B (4 layers, 4 heads, d=256, context 128) or tiny (2 layers, d=16, context 32). The vocabulary is the tokenizer's.",
            DefaultValueFactory = _ => "B",
        };
        config.AcceptOnlyFromAmong("A", "B", "tiny");
        var layers = new Option<int?>("--layers") { Description = "Transformer blocks (overrides --config)." }.Require(v => v is null or >= 1, "--layers must be at least 1.");
        var heads = new Option<int?>("--heads") { Description = "Attention heads; must divide --dim (overrides --config)." }.Require(v => v is null or >= 1, "--heads must be at least 1.");
        var dim = new Option<int?>("--dim") { Description = "Embedding width d (overrides --config)." }.Require(v => v is null or >= 1, "--dim must be at least 1.");
        var context = new Option<int?>("--context") { Description = "Context length in tokens, n_positions (overrides --config)." }.Require(v => v is null or >= 2, "--context must be at least 2.");
        var init = new Option<string?>("--init") { Description = "Start from this model directory (HF GPT-2 layout, e.g. another run's checkpoint/) instead of a fresh model." };
        var separator = new Option<string?>("--separator") { Description = "Split files into documents at this string (\\n and \\t are unescaped), e.g. \"\\n%\\n\" for fortune files." };

        var command = new Command("pretrain", "Pretrain a GPT language model on text: packed random windows, AdamW with warmup + cosine decay, "
            + "validation loss on a held-out tail, metrics.jsonl, checkpoints with exact --resume. Tokens are cached in <out>/corpus.tokens. "
            + "The summary compares the best validation loss with the unigram entropy of the training tokens (a model that uses context beats it).")
        {
            data, tokenizer, config, layers, heads, dim, context, init, separator,
        };
        training.AddTo(command);
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, error) =>
        {
            string outDir = parse.GetValue(training.Out)!;
            bool resume = parse.GetValue(training.Resume);
            Option[] modelOptions = [config, layers, heads, dim, context];
            bool modelGiven = modelOptions.Any(parse.Given);
            if (modelGiven && parse.Given(init)) throw new TrainingException("--init takes the architecture from the checkpoint; do not combine it with --config/--layers/--heads/--dim/--context");

            PretrainConfig? saved = resume ? TrainingCheckpoint.ReadState<PretrainConfig, PackedSamplerState>(outDir, PretrainTrainer.Kind).State.Config : null;
            if (!resume) TrainingSetup.CheckFresh(outDir);
            string tokenizerDir = parse.GetValue(tokenizer) ?? (resume ? TrainingCheckpoint.Find(outDir) : null)
                ?? throw new TrainingException("--tokenizer is required: a directory with tokenizer.json (make one with `rlhf tokenizer train`)");
            var tok = CommandSupport.LoadTokenizer(tokenizerDir);
            string[] dataPaths = parse.GetValue(data) is { Length: > 0 } given ? given : saved?.Data
                ?? throw new TrainingException("--data is required: the text files to pretrain on");
            var files = InputFiles.Expand(dataPaths);
            string? sep = parse.Given(separator) || saved is null ? (parse.GetValue(separator) is { } s ? CommandSupport.Unescape(s) : null) : saved.Separator;
            if (sep is { Length: 0 }) throw new TrainingException("--separator must not be empty");

            GptConfig Model()
            {
                var m = parse.GetValue(config)!.ToUpperInvariant() switch { "A" => GptConfig.A, "TINY" => GptConfig.Tiny(), _ => GptConfig.B };
                m = m with
                {
                    VocabSize = tok.VocabSize,
                    NLayer = parse.GetValue(layers) ?? m.NLayer,
                    NHead = parse.GetValue(heads) ?? m.NHead,
                    NEmbd = parse.GetValue(dim) ?? m.NEmbd,
                    NPositions = parse.GetValue(context) ?? m.NPositions,
                };
                try { m.Validate(); }
                catch (ArgumentException e) { throw new TrainingException($"model settings: {e.Message}", e); }
                return m;
            }
            var runConfig = saved is null
                ? training.Apply(parse, defaults with { Model = parse.Given(init) ? null : Model(), InitCheckpoint = parse.GetValue(init), Data = dataPaths, Separator = sep }, onlyGiven: false)
                : training.Apply(parse, (modelGiven ? saved with { Model = Model() } : saved) with { Data = dataPaths, Separator = sep }, onlyGiven: true);
            training.Check(runConfig);
            output.WriteLine($"pretrain: {files.Count} file(s), tokenizer {tokenizerDir} ({tok.VocabSize} tokens)");
            var corpus = PretrainCorpus.Load(files, tok, Path.Combine(outDir, PretrainCorpus.CacheFile), sep);
            if (corpus.Count == 0) throw new TrainingException("the input files hold no text");
            using var stop = new StopSignal(error);
            var result = new PretrainTrainer(runConfig, tok, corpus, output, CommandSupport.Progress(output)).Run(resume, stop.Token);
            return result.Stopped ? CommandSupport.StoppedExitCode : 0;
        }));
        return command;
    }
}
