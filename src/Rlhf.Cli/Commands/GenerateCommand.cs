using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Generation;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Distributed;
using Rlhf.Training.Labeling;
using Rlhf.Tensors.Serialization;
using Rlhf.Data;
using Rlhf.Data.Preferences;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf generate</c>: sample completions from a trained model (<see cref="Generator"/>, KV cache, batched).</summary>
public static class GenerateCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Builds the <c>generate</c> verb.</summary>
    public static Command Create()
    {
        var model = new Option<string>("--model") { Description = "Model directory (HF layout: GPT-2, Llama, Qwen2 or Qwen3, chosen by config.json's model_type; with tokenizer.json), or a training run directory (its checkpoint/ is used).", Required = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer directory (default: the model directory)." };
        var prompt = new Option<string[]>("--prompt") { Description = "Prompt text; repeatable. An empty prompt samples unconditionally (from <|endoftext|>)." };
        var prompts = new Option<string?>("--prompts") { Description = "JSONL file of {\"prompt\": ...} lines (other fields are ignored)." };
        var template = new Option<bool>("--template")
        {
            Description = "Render each prompt as a user message with the model's chat template (tokenizer_config.json's chat_template: ChatML, Qwen3 "
                + "or Llama 3, stopping at its end-of-turn token), or as \"User: {prompt}\\nAssistant:\" when it has none, as SFT models expect; prints only the response.",
        };
        var chatTemplate = CommandSupport.ChatTemplateOption();
        chatTemplate.Description += " Implies --template.";
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Tokens to generate at most per prompt (stops earlier at <|endoftext|>).", DefaultValueFactory = _ => 64 }
            .Require(v => v >= 1, "--max-new-tokens must be at least 1.");
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature; 0 = greedy.", DefaultValueFactory = _ => 1f }
            .Require(v => v >= 0 && float.IsFinite(v), "--temperature must be ≥ 0.");
        var topK = new Option<int>("--top-k") { Description = "Sample only among the k most likely tokens (0 = all).", DefaultValueFactory = _ => 0 }
            .Require(v => v >= 0, "--top-k must be ≥ 0.");
        var topP = new Option<float>("--top-p") { Description = "Nucleus sampling: the smallest set of tokens with this much probability (1 = all).", DefaultValueFactory = _ => 1f }
            .Require(v => v > 0 && v <= 1, "--top-p must be in (0, 1].");
        var seed = new Option<ulong>("--seed") { Description = "Sampling seed (same seed, prompts and --batch: same output).", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "Prompts generated together.", DefaultValueFactory = _ => 8 }
            .Require(v => v >= 1, "--batch must be at least 1.");
        var json = new Option<bool>("--json") { Description = "One JSON object per prompt: prompt, completion, tokens, mean_logprob, finished, token_ids, logprobs (each generated token's log-probability)." };
        var samples = new Option<int>("--samples") { Description = "Completions per prompt, written as one {\"prompt\", \"completions\": [...]} line per prompt to --out (the input of `rlhf label simulate` and `rlhf label enqueue`).", DefaultValueFactory = _ => 1 }
            .Require(v => v >= 1, "--samples must be at least 1.");
        var outFile = new Option<string?>("--out") { Description = "Write the completion groups as JSONL to this file (atomically) instead of printing them." };

        var command = new Command("generate", "Sample text from a model: batched KV-cache decoding with temperature, top-k and top-p. Prints each completion "
            + "(prompts separated by a line \"---\"), or JSON lines with --json.")
        {
            model, tokenizer, prompt, prompts, template, chatTemplate, maxNew, temperature, topK, topP, seed, batch, json, samples, outFile,
        };
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            var texts = new List<string>(parse.GetValue(prompt) ?? []);
            if (parse.GetValue(prompts) is { } file) texts.AddRange(Jsonl.Read<PromptRecord>(CommandSupport.ExistingFile(file)).Select(r => r.Record.Prompt));
            if (texts.Count == 0) throw new TrainingException("nothing to generate from: give --prompt \"...\" or --prompts <file.jsonl>");

            string dir = TrainingCheckpoint.ResolveModelDirectory(parse.GetValue(model)!);
            var lm = CausalLmCheckpoint.Load(dir);
            var tok = CommandSupport.LoadTokenizer(parse.GetValue(tokenizer) ?? dir);
            string? chatChoice = parse.GetValue(chatTemplate);
            var chat = parse.GetValue(template) || chatChoice is not null ? ChatTemplate.For(tok, chatChoice) : null;
            int stopId = chat?.EndId ?? tok.EndOfTextId;
            var config = new GenerationConfig(parse.GetValue(maxNew), parse.GetValue(temperature), parse.GetValue(topK), parse.GetValue(topP))
                { VocabularyLimit = tok.VocabSize };
            var ids = new List<int[]>(texts.Count);
            foreach (string text in texts)
            {
                int[] p = chat is not null ? chat.EncodePrompt(text) : tok.Encode(text);
                if (p.Length == 0) p = [tok.EndOfTextId]; // unconditional: start from end-of-text as GPT-2 does
                if (p.Length + config.MaxNewTokens > lm.MaxPositions)
                    throw new TrainingException($"prompt \"{Shorten(text)}\" is {p.Length} tokens; with --max-new-tokens {config.MaxNewTokens} that exceeds "
                        + $"the model context of {lm.MaxPositions} tokens");
                ids.Add(p);
            }

            var rng = new Rng(parse.GetValue(seed));
            int k = parse.GetValue(samples);
            if (parse.GetValue(outFile) is { } groupsPath)
            {
                // K samples per prompt: each prompt repeated K times in a row, so one batch holds whole groups where it can
                var repeated = ids.SelectMany(p => Enumerable.Repeat(p, k)).ToList();
                // under mpiexec each rank samples its shard of the batches; every rank gets all (ShardedGeneration), rank 0 writes
                var completions = ShardedGeneration.Generate(lm, repeated, stopId, config, rng, parse.GetValue(batch)).Select(r => Response(r.Completion)).ToList();
                // a group with an empty completion cannot be ranked (label simulate/enqueue reject it), so it is dropped and counted
                var groups = texts.Select((t, i) => new CompletionGroup(t, completions.GetRange(i * k, k))).ToList();
                var kept = groups.Where(g => g.Completions.All(c => !string.IsNullOrWhiteSpace(c))).ToList();
                if (DataParallel.IsRoot) AtomicFile.WriteAllText(groupsPath, string.Concat(kept.Select(g => JsonSerializer.Serialize(g, Json) + "\n")));
                output.WriteLine($"generate: {kept.Count} prompts × {k} completions → {groupsPath}"
                    + (kept.Count < groups.Count ? $" ({groups.Count - kept.Count} prompts dropped: an empty completion)" : ""));
                return 0;
            }
            if (k > 1) throw new TrainingException("--samples > 1 needs --out <file.jsonl> for the completion groups");
            bool asJson = parse.GetValue(json);
            var results = ShardedGeneration.Generate(lm, ids, stopId, config, rng, parse.GetValue(batch));
            for (int i = 0; i < results.Count; i++)
            {
                var r = results[i];
                string completion = Response(r.Completion);
                if (asJson)
                {
                    double? mean = r.LogProbs.Length == 0 ? null : r.LogProbs.Average(lp => (double)lp);
                    output.WriteLine(JsonSerializer.Serialize(new GenerationRecord(texts[i], completion, r.Completion.Length, mean, r.Finished, r.Completion, r.LogProbs), Json));
                }
                else
                {
                    if (i > 0) output.WriteLine("---");
                    output.WriteLine(completion);
                }
            }
            return 0;

            string Response(int[] completion) => chat is not null ? chat.DecodeResponse(completion) : Decode(tok, completion);
        }));
        return command;
    }

    /// <summary>The completion's text, cut at the first end-of-text, special tokens dropped.</summary>
    private static string Decode(BpeTokenizer tok, int[] completion)
    {
        int end = Array.IndexOf(completion, tok.EndOfTextId);
        return tok.Decode(end >= 0 ? completion.AsSpan(0, end) : completion, skipSpecial: true);
    }

    private static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
