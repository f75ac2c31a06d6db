using System.CommandLine;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Training.Common;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf model info</c> and <c>rlhf model init</c>: inspect a checkpoint directory, or create one with random weights.</summary>
public static class ModelCommand
{
    /// <summary>Builds the <c>model</c> command with its verbs.</summary>
    public static Command Create()
    {
        var command = new Command("model", "Model checkpoints in Hugging Face layout (GPT-2, Llama, Qwen2, Qwen3).");
        command.Add(CreateInfo());
        command.Add(CreateInit());
        command.Add(CreateMerge());
        return command;
    }

    private static Command CreateMerge()
    {
        var baseDir = new Option<string?>("--base") { Description = "Base model directory or run (default: the adapter's base_model_name_or_path)." };
        var adapter = new Option<string>("--adapter") { Description = "PEFT adapter directory (adapter_config.json + adapter_model.safetensors), or a LoRA run.", Required = true };
        var outDir = new Option<string>("--out") { Description = "Directory for the merged full checkpoint (HF layout + tokenizer; must not hold a config.json already).", Required = true };
        var merge = new Command("merge", "Merge LoRA adapters into their base model (W += alpha/r · B·A) and write a full Hugging Face checkpoint.") { baseDir, adapter, outDir };
        merge.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            string adapterDir = TrainingCheckpoint.ResolveModelDirectory(parse.GetValue(adapter)!);
            if (!Rlhf.Models.Lora.LoraCheckpoint.IsAdapterDirectory(adapterDir))
                throw new TrainingException($"{parse.GetValue(adapter)}: not a LoRA adapter directory (no {Rlhf.Models.Lora.LoraCheckpoint.ConfigFile})");
            string? baseModel = parse.GetValue(baseDir) is { } b ? TrainingCheckpoint.ResolveModelDirectory(b) : null;
            var model = Rlhf.Models.Lora.LoraMerge.Run(adapterDir, baseModel, parse.GetValue(outDir)!);
            output.WriteLine($"merged {adapterDir} into {TrainingSetup.Describe(model)}; wrote {parse.GetValue(outDir)}");
            return 0;
        }));
        return merge;
    }

    private static Command CreateInfo()
    {
        var dir = new Argument<string>("dir") { Description = "Checkpoint directory (config.json + model.safetensors or a sharded index)." };
        var info = new Command("info", "Family, parameters, stored dtype, context, tokenizer and chat template of a checkpoint, without loading its weights.") { dir };
        info.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            string path = parse.GetValue(dir)!;
            if (!Directory.Exists(path)) throw new TrainingException($"{path}: no such directory");
            var s = ModelSummary.Read(path);
            output.WriteLine($"family:       {s.ModelType}");
            output.WriteLine($"architecture: {s.Architecture}");
            output.WriteLine($"parameters:   {s.Parameters:N0} ({s.Parameters / 1e6:F1}M)");
            output.WriteLine($"dtype:        {(s.DTypes.Count == 0 ? "no weights file" : string.Join(", ", s.DTypes))}");
            output.WriteLine($"context:      {s.Context} tokens");
            output.WriteLine($"positions:    {s.Positions}");
            output.WriteLine($"tokenizer:    {s.Tokenizer ?? "none"}");
            output.WriteLine($"template:     {s.ChatTemplate ?? "none"}");
            return 0;
        }));
        return info;
    }

    private static Command CreateInit()
    {
        var family = new Option<string?>("--family") { Description = $"Model family: {string.Join(", ", LlamaConfig.ModelTypes)} (picks the family of the tiny preset; must match a real model's preset)." }
            .Require(v => v is null || LlamaConfig.ModelTypes.Contains(v), $"--family must be one of {string.Join(", ", LlamaConfig.ModelTypes)}.");
        var preset = new Option<string>("--preset") { Description = $"Architecture: {string.Join(", ", LlamaPresets.Names)} (real models' shapes, random weights).", Required = true }
            .Require(v => LlamaPresets.Names.Contains(v), $"--preset must be one of {string.Join(", ", LlamaPresets.Names)}.");
        var outDir = new Option<string>("--out") { Description = "Directory to write config.json and model.safetensors into (must not hold a config.json already).", Required = true };
        var seed = new Option<ulong>("--seed") { Description = "Initialisation seed.", DefaultValueFactory = _ => 1337 };
        var init = new Command("init", "Create a Llama-family model with random weights (HF init, N(0, 0.02²)) in Hugging Face layout, for tests, benchmarks and pretraining.")
        {
            family, preset, outDir, seed,
        };
        init.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            string dir = parse.GetValue(outDir)!;
            string config = Path.Combine(dir, HfCheckpoint.ConfigFile);
            if (File.Exists(config)) throw new TrainingException($"{config} already exists; choose another --out or delete it");
            LlamaConfig architecture;
            try { architecture = LlamaPresets.Get(parse.GetValue(preset)!, parse.GetValue(family)); }
            catch (ArgumentException e) { throw new TrainingException(e.Message, e); }
            var model = new Llama(architecture, parse.GetValue(seed));
            model.Save(dir);
            output.WriteLine($"model init: {architecture.ModelType} {parse.GetValue(preset)}, {model.ParameterCount:N0} parameters → {dir}");
            return 0;
        }));
        return init;
    }
}
