using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rlhf.Training.Scoring;

/// <summary>
/// The wire format shared by HTTP and <c>cmd:</c> scorers. Request, one JSON object (one line):
/// <c>{"items": [{"prompt": p, "response": r, "answer": a?}, ...], "prompts": [p, ...], "query": [p + r, ...]}</c>
/// — <c>items</c> is the batch of {prompt, response} objects; <c>prompts</c> and <c>query</c> are what OpenRLHF's
/// <c>serve_rm.py</c> reads, so such a server works unchanged. Reply: a JSON list with one number per item, in order,
/// or an object whose <c>rewards</c> is that list (OpenRLHF's reply). Anything else is a failed batch.
/// </summary>
public static class ExternalScoreProtocol
{
    /// <summary>The request line for <paramref name="batch"/>.</summary>
    public static string Request(IReadOnlyList<RewardRequest> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var items = new JsonArray();
        foreach (var r in batch)
        {
            var item = new JsonObject { ["prompt"] = r.Prompt, ["response"] = r.Completion };
            if (r.Answer is not null) item["answer"] = r.Answer;
            items.Add(item);
        }
        var root = new JsonObject
        {
            ["items"] = items,
            ["prompts"] = new JsonArray([.. batch.Select(r => (JsonNode?)JsonValue.Create(r.Prompt))]),
            ["query"] = new JsonArray([.. batch.Select(r => (JsonNode?)JsonValue.Create(r.Prompt + r.Completion))]),
        };
        return root.ToJsonString();
    }

    /// <summary>The <paramref name="count"/> scores in <paramref name="reply"/>; throws <see cref="ExternalScorerException"/> saying what is wrong with it.</summary>
    public static double[] ParseReply(string reply, int count)
    {
        JsonNode? root;
        try { root = JsonNode.Parse(reply); }
        catch (JsonException e) { throw new ExternalScorerException($"the reply is not JSON ({Excerpt(reply)}): {e.Message}", e); }
        var list = root switch
        {
            JsonArray a => a,
            JsonObject o when o["rewards"] is JsonArray a => a,
            _ => throw new ExternalScorerException($"expected a JSON list of {count} numbers (or {{\"rewards\": [...]}}), got {Excerpt(reply)}"),
        };
        if (list.Count != count) throw new ExternalScorerException($"expected {count} scores, got {list.Count}");
        var scores = new double[count];
        for (int i = 0; i < count; i++)
        {
            if (list[i] is not JsonValue v || v.GetValueKind() != JsonValueKind.Number)
                throw new ExternalScorerException($"score {i} is {list[i]?.ToJsonString() ?? "null"}, expected a number");
            scores[i] = v.GetValue<double>();
        }
        return scores;
    }

    private static string Excerpt(string text) => text.Length <= 80 ? $"'{text}'" : $"'{text[..80]}…' ({text.Length} characters)";
}
