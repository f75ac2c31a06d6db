using System.Text.Json.Nodes;
using Rlhf.Training.Scoring;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Tests.Scoring;

public class ExternalScoreProtocolTests
{
    [Fact]
    public void Request_holds_the_items_and_OpenRLHFs_prompts_and_query()
    {
        var json = JsonNode.Parse(ExternalScoreProtocol.Request([new RewardRequest("Q: ", "yes", "42"), new RewardRequest("P", "no")]))!;
        Assert.Equal("Q: ", (string)json["items"]![0]!["prompt"]!);
        Assert.Equal("yes", (string)json["items"]![0]!["response"]!);
        Assert.Equal("42", (string)json["items"]![0]!["answer"]!);
        Assert.Null(json["items"]![1]!["answer"]);
        Assert.Equal(["Q: ", "P"], json["prompts"]!.AsArray().Select(n => (string)n!));
        Assert.Equal(["Q: yes", "Pno"], json["query"]!.AsArray().Select(n => (string)n!));
        Assert.DoesNotContain('\n', ExternalScoreProtocol.Request([new RewardRequest("a\nb", "c\nd")])); // one line for cmd: scorers
    }

    [Fact]
    public void Reply_is_a_list_or_OpenRLHFs_rewards_object()
    {
        Assert.Equal([1.5, -2], ExternalScoreProtocol.ParseReply("[1.5, -2]", 2));
        Assert.Equal([0.25], ExternalScoreProtocol.ParseReply("{\"rewards\": [0.25], \"scores\": [9]}", 1));
    }

    [Theory]
    [InlineData("<html>oops</html>", 1, "not JSON")]
    [InlineData("[1, 2]", 3, "expected 3 scores, got 2")]
    [InlineData("[1, \"2\"]", 2, "score 1 is \"2\"")]
    [InlineData("[1, null]", 2, "score 1 is null")]
    [InlineData("{\"reward\": 1}", 1, "expected a JSON list")]
    [InlineData("", 1, "not JSON")]
    public void Garbage_is_a_failed_batch_with_a_reason(string reply, int count, string reason) =>
        Assert.Contains(reason, Assert.Throws<ExternalScorerException>(() => ExternalScoreProtocol.ParseReply(reply, count)).Message);

    [Fact]
    public void Spec_parses_urls_and_commands()
    {
        Assert.True(ExternalScorerSpec.IsExternal("http://127.0.0.1:8000/score"));
        Assert.True(ExternalScorerSpec.IsExternal("cmd:python3 x.py"));
        Assert.False(ExternalScorerSpec.IsExternal("lexicon"));
        Assert.False(ExternalScorerSpec.IsExternal("runs/rm"));
        Assert.Equal(["python3", "my scorer.py", "--k", "it's"], ExternalScorerSpec.SplitCommandLine("python3 'my scorer.py'  --k \"it's\""));
        Assert.Throws<ArgumentException>(() => ExternalScorerSpec.Transport("cmd:  "));
        Assert.Throws<ArgumentException>(() => ExternalScorerSpec.Transport("http://"));
        using var t = ExternalScorerSpec.Transport("cmd:python3 score.py");
        Assert.Equal("cmd:python3 score.py", t.Name);
    }
}
