using Rlhf.Cli.Judges;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Tests;

/// <summary>The OpenAI-compatible HTTP judge behind <see cref="LlmJudgeReward"/>, against a fake chat server.</summary>
public sealed class OpenAiJudgeTests : IDisposable
{
    private readonly FakeChatServer _server = new();

    public void Dispose() => _server.Dispose();

    private static readonly RewardRequest Request = new("What is 2 + 2?", "2 + 2 = 4. #### 4", "4");

    // a generous default: the first call JITs the OpenAI client, which can take seconds on a busy CI box
    private OpenAiJudge Judge(double timeoutSeconds = 60, int retries = 0, Uri? endpoint = null) =>
        new(endpoint ?? _server.Endpoint, "judge-model", "test-key", TimeSpan.FromSeconds(timeoutSeconds), retries, TimeSpan.FromMilliseconds(10));

    [Theory]
    [InlineData("yes", 1f)]
    [InlineData("Yes.", 1f)]
    [InlineData(" **YES**", 1f)]
    [InlineData("no", 0f)]
    [InlineData("No, the solution says 5.", 0f)]
    public void Http_judge_agrees_or_disagrees(string reply, float reward)
    {
        _server.Reply = reply;
        var outcome = new LlmJudgeReward(Judge()).Score([Request])[0];
        Assert.Equal(reward, outcome.Reward);
        Assert.Equal(1, _server.Requests);
        Assert.Contains("Reference answer: 4", _server.LastBody);
        Assert.Contains("judge-model", _server.LastBody);
    }

    [Fact]
    public void Unparsable_reply_scores_zero_with_a_note_and_is_not_retried()
    {
        _server.Reply = "maybe";
        var outcome = new LlmJudgeReward(Judge(retries: 2)).Score([Request])[0];
        Assert.Equal(0f, outcome.Reward);
        Assert.Contains("unparsable judge reply 'maybe'", outcome.Note);
    }

    [Fact]
    public void Failed_requests_are_retried_then_score_zero_with_a_note()
    {
        // the server refuses every request at once: no timing involved, the server sees exactly 1 + retries attempts
        _server.FailFirst = int.MaxValue;
        var outcome = new LlmJudgeReward(Judge(retries: 2)).Score([Request])[0];
        Assert.Equal(0f, outcome.Reward);
        Assert.Contains("3 attempt(s) failed", outcome.Note);
        Assert.Equal(3, _server.Requests);
    }

    [Fact]
    public void A_failed_request_is_retried_and_the_retry_scores()
    {
        _server.FailFirst = 1;
        var outcome = new LlmJudgeReward(Judge(retries: 1)).Score([Request])[0];
        Assert.Equal(1f, outcome.Reward);
        Assert.Equal(2, _server.Requests);
    }

    [Fact]
    public void A_judge_that_never_answers_times_out_and_scores_zero_with_a_note()
    {
        // only what the client sees is asserted: whether an attempt reached the server before its timeout depends on
        // the box's load (the first call JITs the client), the timeout and the failure do not
        _server.Delay = TimeSpan.FromMinutes(10);
        var outcome = new LlmJudgeReward(Judge(timeoutSeconds: 1, retries: 1)).Score([Request])[0];
        Assert.Equal(0f, outcome.Reward);
        Assert.Contains("2 attempt(s) failed", outcome.Note);
    }

    [Fact]
    public void Unreachable_endpoint_scores_zero_with_a_note_for_every_sample()
    {
        var closed = new Uri($"http://127.0.0.1:{FakeChatServer.FreePort()}/v1");
        var outcomes = new LlmJudgeReward(Judge(timeoutSeconds: 2, retries: 1, endpoint: closed)).Score([Request, Request with { Answer = null }]);
        Assert.Equal(0f, outcomes[0].Reward);
        Assert.Contains("judge failed", outcomes[0].Note);
        Assert.Equal("the task has no reference answer", outcomes[1].Note);
    }
}
