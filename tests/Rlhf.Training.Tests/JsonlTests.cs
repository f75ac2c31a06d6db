using System.Text;
using System.Text.Json.Serialization;
using Rlhf.Training.Data;
using Rlhf.Data;

namespace Rlhf.Training.Tests;

public sealed class JsonlTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    /// <summary>A snake_case record with an optional field, to check naming attributes and non-string types.</summary>
    public sealed record Rated(
        [property: JsonPropertyName("prompt_id")] int PromptId,
        [property: JsonPropertyName("labels")] string[] Labels,
        [property: JsonPropertyName("score")] double? Score = null);

    private string WriteLines(string name, params string[] lines)
    {
        string path = _tmp.File(name);
        File.WriteAllText(path, string.Join("\n", lines) + "\n");
        return path;
    }

    [Fact]
    public void Read_SkipsBlankLines_ReportsLineNumbers_IgnoresExtraFields()
    {
        string path = WriteLines("ok.jsonl",
            """{"prompt": "Hi", "response": "Hello\nthere", "id": 7}""",
            "",
            "   ",
            """{"response": "né ✓", "prompt": "Q"}""");
        var rows = Jsonl.Read<SftExample>(path).ToList();
        Assert.Equal([1, 4], rows.Select(r => r.Line));
        Assert.Equal(new SftExample("Hi", "Hello\nthere"), rows[0].Record);
        Assert.Equal(new SftExample("Q", "né ✓"), rows[1].Record);
    }

    [Fact]
    public void Read_HandlesBomCrLfAndMissingFinalNewline()
    {
        string path = _tmp.File("crlf.jsonl");
        File.WriteAllBytes(path, [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("{\"prompt\": \"a\", \"response\": \"b\"}\r\n\r\n{\"prompt\": \"c\", \"response\": \"d\"}")]);
        var rows = Jsonl.Read<SftExample>(path).ToList();
        Assert.Equal([(1, new SftExample("a", "b")), (3, new SftExample("c", "d"))], rows);
    }

    public static TheoryData<string, string> MalformedSft => new()
    {
        { """{"prompt": "a", "response": }""", "invalid JSON" },
        { """{"prompt": "a", "response": "b"} trailing""", "invalid JSON" },
        { """{"prompt": "a", "response": "b",}""", "invalid JSON" },
        { "[1, 2]", "expected a JSON object, found an array" },
        { "\"just a string\"", "expected a JSON object, found a string" },
        { """{"prompt": "a"}""", "missing required field 'response' (a string)" },
        { """{"response": "b"}""", "missing required field 'prompt' (a string)" },
        { """{"prompt": 3, "response": "b"}""", "field 'prompt' is a number (3); expected a string" },
        { """{"prompt": "a", "response": ["b"]}""", "field 'response' is an array; expected a string" },
        { """{"prompt": null, "response": "b"}""", "field 'prompt' is null; expected a string" },
        { """{"prompt": "", "response": "b"}""", "field 'prompt' must be non-empty text" },
        { """{"prompt": "a", "response": "  \n "}""", "field 'response' must be non-empty text" },
    };

    [Theory]
    [MemberData(nameof(MalformedSft))]
    public void Read_MalformedLine_ThrowsWithPathLineAndExpectation(string badLine, string expected)
    {
        string path = WriteLines("bad.jsonl", """{"prompt": "a", "response": "b"}""", "", badLine, """{"prompt": "c", "response": "d"}""");
        var seen = new List<int>();
        var e = Assert.Throws<DataFormatException>(() => { foreach (var (line, _) in Jsonl.Read<SftExample>(path)) seen.Add(line); });
        Assert.StartsWith($"{path}:3: ", e.Message);
        Assert.Contains(expected, e.Message);
        Assert.Equal([1], seen); // lines before the bad one were delivered, nothing after it
    }

    [Fact]
    public void Read_InvalidUtf8_IsAnError_NotReplaced()
    {
        string path = _tmp.File("utf8.jsonl");
        var bytes = new List<byte>(Encoding.UTF8.GetBytes("{\"prompt\": \"a\", \"response\": \"b\"}\n{\"prompt\": \"x"));
        bytes.AddRange([0xC3, 0x28]); // invalid 2-byte sequence
        bytes.AddRange(Encoding.UTF8.GetBytes("\", \"response\": \"y\"}\n"));
        File.WriteAllBytes(path, bytes.ToArray());
        var e = Assert.Throws<DataFormatException>(() => Jsonl.Read<SftExample>(path).ToList());
        Assert.StartsWith($"{path}:2: expected UTF-8 text", e.Message);
    }

    [Fact]
    public void Read_SnakeCaseRecord_OptionalFieldAndTypeErrors()
    {
        string ok = WriteLines("rated.jsonl", """{"prompt_id": 4, "labels": ["x", "y"]}""", """{"prompt_id": 5, "labels": [], "score": 0.5}""");
        var rows = Jsonl.Read<Rated>(ok).Select(r => r.Record).ToList();
        Assert.Equal(4, rows[0].PromptId);
        Assert.Equal(["x", "y"], rows[0].Labels);
        Assert.Null(rows[0].Score);
        Assert.Equal(0.5, rows[1].Score);

        string bad1 = WriteLines("bad1.jsonl", """{"prompt_id": 1.5, "labels": []}""");
        Assert.Equal($"{bad1}:1: field 'prompt_id' is a number (1.5); expected an integer",
            Assert.Throws<DataFormatException>(() => Jsonl.Read<Rated>(bad1).ToList()).Message);
        string bad2 = WriteLines("bad2.jsonl", """{"prompt_id": 1, "labels": "x"}""");
        Assert.Equal($"{bad2}:1: field 'labels' is a string; expected an array",
            Assert.Throws<DataFormatException>(() => Jsonl.Read<Rated>(bad2).ToList()).Message);
        string bad3 = WriteLines("bad3.jsonl", """{"promptId": 1, "labels": []}""");
        Assert.Equal($"{bad3}:1: missing required field 'prompt_id' (an integer)",
            Assert.Throws<DataFormatException>(() => Jsonl.Read<Rated>(bad3).ToList()).Message);
    }

    [Fact]
    public void Write_RoundTrips_OneLinePerRecord_AndLeavesNoTempFile()
    {
        string path = _tmp.File("out.jsonl");
        File.WriteAllText(path, "old content that must be replaced\n");
        var records = new[] { new SftExample("Line1\nLine2 \"q\"", "naïve ✓"), new SftExample("p", "r") };
        Assert.Equal(2, Jsonl.Write(path, records));
        string text = File.ReadAllText(path);
        Assert.Equal(2, text.Count(c => c == '\n'));
        Assert.Contains("naïve ✓", text); // readable UTF-8, not \u escapes
        Assert.Equal(records, Jsonl.Read<SftExample>(path).Select(r => r.Record));
        Assert.Equal([path], Directory.GetFiles(_tmp.Root));
    }
}
