using System.Text.Json;
using System.Text.Json.Nodes;
using Rlhf.Data.Metrics;
using Rlhf.Feedback.Storage;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;

namespace Rlhf.Cli.Tests;

/// <summary>
/// Every verb on conversational data with a chat template found in the model's tokenizer_config.json (auto): a tiny
/// GPT with a BPE tokenizer that has ChatML's (or Llama 3's) special tokens. Checks that each verb reads the
/// conversational format, trains or samples, and stops at the end-of-turn token; and that an unknown template is one clear error.
/// </summary>
public sealed class ChatTemplateVerbsTests : IDisposable
{
    // a ChatML template as Qwen2.5/SmolLM2 write it (recognised by <|im_start|>)
    private const string ChatMlTemplate = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}"
        + "{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";

    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-cli-chat-").FullName;

    public ChatTemplateVerbsTests() => Setup(ChatMlTemplate, ["<|im_start|>", "<|im_end|>"], "<|im_end|>", llama: false);

    // the Llama 3 template as in Llama 3's tokenizer_config.json (recognised by <|start_header_id|>)
    private const string Llama3Template = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + "
        + "message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + "
        + "content %}{% endif %}{{ content }}{% endfor %}{{ '<|start_header_id|>assistant<|end_header_id|>\n\n' }}";

    private BpeTokenizer _tok = null!;
    private string _endOfTurn = "";

    // a tokenizer with the template's special tokens and tokenizer_config.json, a tiny policy and reward model (GPT-2 or
    // Llama family), and the data
    private void Setup(string template, string[] specials, string endOfTurn, bool llama)
    {
        var tok = BpeTrainer.Train(string.Concat(Enumerable.Repeat("the cat is warm. the dog is cold. hello there, how are you? fine thanks.\n", 20)), 300, specials);
        tok.Save(P("tok"));
        File.WriteAllText(P("tok/tokenizer_config.json"), new JsonObject { ["chat_template"] = template, ["eos_token"] = endOfTurn, ["bos_token"] = specials.Contains("<|begin_of_text|>") ? "<|begin_of_text|>" : null }.ToJsonString());
        _tok = BpeTokenizer.Load(P("tok"));
        _endOfTurn = endOfTurn;
        var tiny = LlamaPresets.Get("tiny", "llama") with { VocabSize = _tok.VocabSize, MaxPositions = 96 };
        ICausalLm Model(int layers, ulong seed) => llama ? new Llama(tiny, seed) : new Gpt(new GptConfig(layers, 2, 16, 96, _tok.VocabSize), seed);
        var policy = Model(2, 4);
        if (policy is Llama l) l.Save(P("base"), eosTokenId: _tok.EndOfTextId);
        else HfCheckpoint.Save(P("base"), (Gpt)policy, eosTokenId: _tok.EndOfTextId);
        _tok.Save(P("base"));
        new RewardModel(Model(1, 10), seed: 20).Save(P("rm0"), _tok.EndOfTextId);
        _tok.Save(P("rm0"));

        string[] animals = ["cat", "dog"];
        File.WriteAllLines(P("sft.jsonl"), Enumerable.Range(0, 6).Select(i => Json(new
        {
            messages = new object[]
            {
                new { role = "system", content = "be brief" },
                new { role = "user", content = $"hello {animals[i % 2]}" },
                new { role = "assistant", content = "hello there" },
                new { role = "user", content = "how are you?" },
                new { role = "assistant", content = $"the {animals[i % 2]} is warm." },
            },
        })));
        File.WriteAllLines(P("prefs.jsonl"), Enumerable.Range(0, 8).Select(i => Json(new
        {
            prompt = new object[] { new { role = "user", content = $"hi {i}" }, new { role = "assistant", content = "hello there" }, new { role = "user", content = $"how is the {animals[i % 2]}?" } },
            chosen = new object[] { new { role = "assistant", content = $"the {animals[i % 2]} is warm." } },
            rejected = new object[] { new { role = "assistant", content = $"the {animals[i % 2]} is cold." } },
        })));
        File.WriteAllLines(P("prompts.jsonl"), Enumerable.Range(0, 4).Select(i => Json(new
        {
            prompt = new object[] { new { role = "user", content = "hello" }, new { role = "assistant", content = "hello there" }, new { role = "user", content = $"the {animals[i % 2]}?" } },
            answer = "1",
        })));
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private static string Json(object o) => JsonSerializer.Serialize(o);

    private void SaveModel(string name, Gpt model)
    {
        HfCheckpoint.Save(P(name), model, eosTokenId: _tok.EndOfTextId);
        _tok.Save(P(name));
    }

    private static void Ok((int Code, string Out, string Err) r) => Assert.True(r.Code == 0, r.Err + r.Out);

    [Theory]
    [InlineData("chatml")]
    [InlineData("llama3")]
    public void EveryVerb_RunsOnConversationalData_WithTheTemplateFromTheFile(string format)
    {
        // Llama 3's template on a Llama-family model
        if (format == "llama3") Setup(Llama3Template, ["<|begin_of_text|>", "<|start_header_id|>", "<|end_header_id|>", "<|eot_id|>"], "<|eot_id|>", llama: true);
        int imEnd = _tok.EncodeWithSpecialTokens(_endOfTurn)[0];

        // sft on multi-turn messages: the run saves the tokenizer with its chat_template, so later verbs find it again
        var sft = InProcessCli.Run("sft", "--data", P("sft.jsonl"), "--init", P("base"), "--out", P("sft"), "--steps", "2", "--batch", "2", "--val-fraction", "0.2");
        Ok(sft);
        Assert.Contains($"chat template {format}", sft.Out);
        Assert.Equal(3, MetricsReader.Read(P("sft/metrics.jsonl")).Count(e => e.Get("loss") is not null) + 1);

        // generate --template: the prompt is a ChatML user turn; sampling stops at <|im_end|>
        var gen = InProcessCli.Run("generate", "--model", P("sft"), "--prompt", "hello", "--template", "--max-new-tokens", "12", "--json", "--seed", "3");
        Ok(gen);
        var line = JsonDocument.Parse(gen.Out).RootElement;
        int[] ids = line.GetProperty("token_ids").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        int end = Array.IndexOf(ids, imEnd);
        Assert.True(end < 0 || end == ids.Length - 1, "generation goes on after the end-of-turn token");
        Assert.Equal(end >= 0, line.GetProperty("finished").GetBoolean());

        // rm and dpo on conversational preference pairs
        var rm = InProcessCli.Run("rm", "train", "--data", P("prefs.jsonl"), "--init", P("base"), "--out", P("rm"), "--steps", "2", "--batch", "2", "--eval-fraction", "0.25");
        Ok(rm);
        Assert.Contains("rm done: 2 steps", rm.Out);
        var dpo = InProcessCli.Run("dpo", "--policy", P("sft"), "--data", P("prefs.jsonl"), "--out", P("dpo"), "--steps", "2", "--batch", "2",
            "--kl-prompts", "1", "--kl-max-new-tokens", "4", "--val-fraction", "0.25");
        Ok(dpo);
        Assert.Contains("dpo done: 2 steps", dpo.Out);

        // grpo, ppo, bon, online on conversational prompts
        Ok(InProcessCli.Run("grpo", "--policy", P("sft"), "--prompts", P("prompts.jsonl"), "--group", "2", "--batch", "2", "--max-new-tokens", "4",
            "--iterations", "1", "--reward", "final-line", "--out", P("grpo")));
        Ok(InProcessCli.Run("ppo", "--policy", P("sft"), "--reward-model", P("rm0"), "--prompts", P("prompts.jsonl"), "--out", P("ppo"), "--batch", "2",
            "--minibatch", "2", "--epochs", "1", "--max-new-tokens", "4", "--iterations", "1", "--no-guard"));
        Ok(InProcessCli.Run("bon", "--policy", P("sft"), "--reward-model", P("rm0"), "--prompts", P("prompts.jsonl"), "--n", "2", "--max-new-tokens", "4", "--out", P("bon")));
        Ok(InProcessCli.Run("online", "--policy", P("sft"), "--prompts", P("prompts.jsonl"), "--out", P("online"), "--loop", "1", "--prompts-per-round", "2",
            "--k", "2", "--max-new-tokens", "4", "--batch", "2"));
        // the round's rankings keep the conversation as messages
        var ranked = JsonNode.Parse(File.ReadLines(Path.Combine(P("online"), "round_000", "rankings.jsonl")).First())!;
        Assert.IsType<JsonArray>(ranked["prompt"]);
    }

    [Fact]
    public void LabelEnqueue_SamplesWithTheTemplate_AndKeepsTheHistoryForThePage()
    {
        var r = InProcessCli.Run("label", "enqueue", "--db", P("labels.db"), "--model", P("base"), "--prompts", P("prompts.jsonl"), "--k", "3",
            "--max-new-tokens", "6", "--seed", "2");
        Ok(r);
        var store = FeedbackStore.Open(P("labels.db"));
        Assert.True(store.TaskCount() >= 1, r.Out);
        var task = store.GetTask(1);
        Assert.Equal(["user", "assistant"], task.Messages.Select(m => m.Role));
        Assert.StartsWith("the ", task.Prompt);
    }

    [Fact]
    public void UnknownTemplate_IsOneErrorNamingTheFileTheFieldAndTheOption()
    {
        SaveModel("odd", new Gpt(new GptConfig(1, 2, 16, 96, _tok.VocabSize), seed: 5));
        File.WriteAllText(P("odd/tokenizer_config.json"), new JsonObject { ["chat_template"] = "{% for m in messages %}### {{ m.role }}: {{ m.content }}{% endfor %}" }.ToJsonString());
        var r = InProcessCli.Run("sft", "--data", P("sft.jsonl"), "--init", P("odd"), "--out", P("odd-sft"), "--steps", "1");
        Assert.Equal(1, r.Code);
        Assert.Contains(Path.Combine(P("odd"), "tokenizer_config.json") + ": chat_template is not a layout", r.Err);
        Assert.Contains("--chat-template chatml|qwen3|llama3", r.Err);
        Assert.DoesNotContain("   at ", r.Err);
        Assert.False(Directory.Exists(P("odd-sft")));

        // naming the layout (or none) is the way out
        Ok(InProcessCli.Run("sft", "--data", P("sft.jsonl"), "--init", P("odd"), "--out", P("odd-sft"), "--steps", "1", "--chat-template", "chatml"));
        var bad = InProcessCli.Run("generate", "--model", P("base"), "--prompt", "hi", "--chat-template", "vicuna");
        Assert.Equal(1, bad.Code);
        Assert.Contains("--chat-template must be one of auto, none, chatml, qwen3, llama3", bad.Err);
        // the plain format cannot show a system message: the error names the line and the option
        var plain = InProcessCli.Run("sft", "--data", P("sft.jsonl"), "--init", P("base"), "--out", P("plain-sft"), "--steps", "1", "--chat-template", "none");
        Assert.Equal(1, plain.Code);
        Assert.Contains($"{P("sft.jsonl")}:1: messages[0] is a system message", plain.Err);
        Assert.Contains("--chat-template", plain.Err);
    }
}
