using System.Text.Json.Nodes;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Generation;
using Rlhf.Tensors;

namespace Rlhf.Models.Tests.Checkpoints;

/// <summary>
/// Several end-of-sequence ids (Llama 3's <c>eos_token_id: [128001, 128008, 128009]</c>): read from config.json or
/// generation_config.json as an integer or a list, kept through save → load, and the generator stops at any of them.
/// </summary>
public sealed class EosTokenIdsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-eos-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string P(string name) => Path.Combine(_dir, name);

    private string Saved(string name, Action<string>? edit = null)
    {
        new Llama(LlamaTests.Llama3Tiny, seed: 5).Save(P(name));
        edit?.Invoke(P(name));
        return P(name);
    }

    private static void SetField(string file, string field, JsonNode? value)
    {
        var obj = File.Exists(file) ? JsonNode.Parse(File.ReadAllText(file))!.AsObject() : new JsonObject();
        obj[field] = value;
        File.WriteAllText(file, obj.ToJsonString());
    }

    [Fact]
    public void ConfigJson_IntOrList_AndGenerationConfigTakesPrecedence()
    {
        Assert.Empty(LlamaCheckpoint.Load(Saved("none")).EosTokenIds);
        string single = Saved("single", d => SetField(Path.Combine(d, "config.json"), "eos_token_id", 7));
        Assert.Equal([7], LlamaCheckpoint.Load(single).EosTokenIds);
        string list = Saved("list", d => SetField(Path.Combine(d, "config.json"), "eos_token_id", new JsonArray(3, 9, 3, 12)));
        Assert.Equal([3, 9, 12], LlamaCheckpoint.Load(list).EosTokenIds);
        Assert.Equal(3, LlamaConfigJson.Read(list).EosTokenId); // the config keeps the first, as before
        string both = Saved("both", d =>
        {
            SetField(Path.Combine(d, "config.json"), "eos_token_id", 7);
            SetField(Path.Combine(d, EosTokenIdsJson.GenerationConfigFile), "eos_token_id", new JsonArray(7, 8, 9));
        });
        Assert.Equal([7, 8, 9], CausalLmCheckpoint.Load(both).EosTokenIds);
    }

    [Fact]
    public void SaveThenLoad_KeepsTheList_AndACopyHasIt()
    {
        var model = new Llama(LlamaTests.Llama3Tiny, seed: 5) { EosTokenIds = [30, 31, 39] };
        model.Save(P("m"), eosTokenId: 30);
        var loaded = CausalLmCheckpoint.Load(P("m"));
        Assert.Equal([30, 31, 39], loaded.EosTokenIds);
        Assert.Equal(30, LlamaConfigJson.Read(P("m")).EosTokenId);
        Assert.Equal([30, 31, 39], EosTokenIdsJson.Read(P("m")));
    }

    [Theory]
    [InlineData("config.json", "\"x\"")]
    [InlineData("config.json", "[1, -2]")]
    [InlineData("generation_config.json", "[1, 2.5]")]
    public void ABadValue_NamesTheFileAndTheField(string file, string value)
    {
        string dir = Saved("bad", d => SetField(Path.Combine(d, file), "eos_token_id", JsonNode.Parse(value)));
        var e = Assert.Throws<InvalidDataException>(() => LlamaCheckpoint.Load(dir));
        Assert.Contains($"{Path.Combine(dir, file)}: \"eos_token_id\"", e.Message);   // config.json's own reader may word the rest
    }

    [Fact]
    public void Generator_StopsAtAnyOfTheModelsEosIds()
    {
        var model = new Llama(LlamaTests.Llama3Tiny, seed: 5);
        int[][] prompts = [[1, 2, 3], [4]];
        // greedy, never stopping: 10 tokens per row
        var free = Generator.Generate(model, prompts, endOfTextId: 0, new GenerationConfig(MaxNewTokens: 10, Temperature: 0, StopAtEndOfText: false), new Rng(1));
        int unused = Enumerable.Range(0, LlamaTests.Llama3Tiny.VocabSize).First(t => !free.Any(r => r.Completion.Contains(t)));
        // the third token of row 0 and the first of row 1 become the model's stop ids; end of text is an id never generated
        int stopA = free[0].Completion[2], stopB = free[1].Completion[0];
        model.EosTokenIds = [stopA, stopB];
        var stopped = Generator.Generate(model, prompts, endOfTextId: unused, new GenerationConfig(MaxNewTokens: 10, Temperature: 0), new Rng(1));
        for (int b = 0; b < 2; b++)
        {
            int first = Array.FindIndex(free[b].Completion, t => t == stopA || t == stopB);
            Assert.True(stopped[b].Finished);
            Assert.Equal(free[b].Completion[..(first + 1)], stopped[b].Completion); // the same tokens up to and including the stop id
        }
        Assert.True(stopped[0].Completion.Length <= 3);
        Assert.Single(stopped[1].Completion);
        // without the list the rows run to the limit
        model.EosTokenIds = [];
        Assert.All(Generator.Generate(model, prompts, endOfTextId: unused, new GenerationConfig(MaxNewTokens: 10, Temperature: 0), new Rng(1)),
            r => Assert.Equal(10, r.Completion.Length));
    }
}
