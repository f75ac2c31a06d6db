using System.CommandLine;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Sft;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf sft</c>: supervised fine-tuning on prompt/response pairs (<see cref="SftTrainer"/>).</summary>
public static class SftCommand
{
    /// <summary>Builds the <c>sft</c> verb.</summary>
    public static Command Create()
    {
        var defaults = new SftConfig { OutDir = "" };
        var training = new TrainingOptions(defaults, "Optimizer steps; 0 = --epochs passes over the training examples.",
            "Fraction of the examples held out (seeded random choice) for the validation loss, when --val-data is not given.");
        var data = new Option<string>("--data") { Description = "JSONL file, one {\"prompt\": ..., \"response\": ...} object per line, or conversations "
            + "{\"messages\": [{\"role\": \"system\"|\"user\"|\"assistant\", \"content\": ...}, ...]} ending with an assistant message. Required unless --resume." };
        var chatTemplate = CommandSupport.ChatTemplateOption();
        var assistantOnly = new Option<bool>("--assistant-only-loss")
        {
            Description = "For messages data: loss only on the assistant messages and their end-of-turn (every assistant turn); "
                + "--assistant-only-loss false trains on every token. Prompt/response data always trains on the response.",
            DefaultValueFactory = _ => defaults.AssistantOnlyLoss,
        };
        var valData = new Option<string?>("--val-data") { Description = "Held-out JSONL file for the validation loss (default: hold out --val-fraction of --data)." };
        var init = new Option<string?>("--init") { Description = "Pretrained model directory to fine-tune (HF GPT-2 layout, e.g. a pretrain run's checkpoint/). Required unless --resume." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer directory (default: the --init directory, or the checkpoint's with --resume)." };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training examples when --steps is 0.", DefaultValueFactory = _ => defaults.Epochs };

        var command = new Command("sft", "Supervised fine-tuning: each example is rendered with the model's chat template (or becomes "
            + "\"User: {prompt}\\nAssistant: {response}<|endoftext|>\" without one) and the loss covers only the assistant's tokens and the end token. "
            + "Shuffled epochs, held-out loss, metrics.jsonl, checkpoints with exact --resume.")
        {
            data, valData, init, tokenizer, epochs, chatTemplate, assistantOnly,
        };
        training.AddTo(command);
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, error) =>
        {
            string outDir = parse.GetValue(training.Out)!;
            bool resume = parse.GetValue(training.Resume);
            SftConfig? saved = resume ? TrainingCheckpoint.ReadState<SftConfig, SftSamplerState>(outDir, SftTrainer.Kind).State.Config : null;
            if (!resume) TrainingSetup.CheckFresh(outDir);
            string? initDir = parse.GetValue(init) is { } i ? TrainingCheckpoint.ResolveModelDirectory(i) : null;
            if (!resume && initDir is null) throw new TrainingException("--init is required: the pretrained model directory to fine-tune (e.g. a pretrain run's checkpoint/)");
            string tokenizerDir = parse.GetValue(tokenizer) ?? (resume ? TrainingCheckpoint.Find(outDir)! : initDir!);
            string? templateName = parse.Given(chatTemplate) ? parse.GetValue(chatTemplate) : saved?.ChatTemplateName;
            bool assistantOnlyLoss = parse.Given(assistantOnly) ? parse.GetValue(assistantOnly) : saved?.AssistantOnlyLoss ?? defaults.AssistantOnlyLoss;
            var template = ChatTemplate.For(CommandSupport.LoadTokenizer(tokenizerDir), templateName);

            string dataPath = parse.GetValue(data) ?? saved?.Data?.SingleOrDefault()
                ?? throw new TrainingException("--data is required: the JSONL file of prompt/response examples");
            string? valPath = parse.GetValue(valData) ?? saved?.ValData;
            var examples = SftData.Load(CommandSupport.ExistingFile(dataPath), template, assistantOnlyLoss);
            var val = valPath is { } v ? SftData.Load(CommandSupport.ExistingFile(v), template, assistantOnlyLoss) : null;
            var start = saved ?? defaults with { InitCheckpoint = initDir };
            if (saved is null || parse.Given(epochs)) start = start with { Epochs = parse.GetValue(epochs) };
            var runConfig = training.Apply(parse, start with { Data = [dataPath], ValData = valPath, ChatTemplateName = templateName, AssistantOnlyLoss = assistantOnlyLoss },
                onlyGiven: saved is not null);
            training.Check(runConfig, (nameof(SftConfig.Epochs), epochs));
            output.WriteLine($"sft: {examples.Count} examples from {dataPath}" + (val is null ? "" : $", {val.Count} held-out from {valPath}")
                + (template.Format is null ? "" : $"; chat template {template.Name}"));
            using var stop = new StopSignal(error);
            var result = new SftTrainer(runConfig, template.Tokenizer, examples, val, output, CommandSupport.Progress(output)).Run(resume, stop.Token);
            return result.Stopped ? CommandSupport.StoppedExitCode : 0;
        }));
        return command;
    }
}
