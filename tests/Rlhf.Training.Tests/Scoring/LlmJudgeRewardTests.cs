using Rlhf.Models;
using Rlhf.Training.Rl;
using Rlhf.Training.Scoring;
using Rlhf.Training.Tests.Common;

namespace Rlhf.Training.Tests.Scoring;

/// <summary>The in-process LLM judge (a local model's yes/no log-probs); the HTTP judge is tested in Rlhf.Cli.Tests (<c>OpenAiJudgeTests</c>).</summary>
public sealed class LlmJudgeRewardTests
{
    private static readonly RewardRequest Request = new("What is 2 + 2?", "2 + 2 = 4. #### 4", "4");

    [Fact]
    public void In_process_judge_compares_the_yes_and_no_logits_deterministically()
    {
        var tok = TrainingFixtures.Tokenizer;
        var model = new Gpt(TrainingFixtures.TinyModel(context: 32), seed: 5); // the question is longer: cut from the left
        var judge = new InProcessJudge(model, tok);
        var a = judge.Judge("What is 2 + 2?", "4", "4");
        var b = judge.Judge("What is 2 + 2?", "4", "4");
        Assert.Equal(a, b);
        Assert.InRange(a.YesProbability!.Value, 0, 1);
        Assert.Equal(a.YesProbability > 0.5, a.Agree);
        var reward = new LlmJudgeReward(judge).Score([Request])[0];
        Assert.Equal(a.Agree ? 1f : 0f, reward.Reward);
    }

    [Fact]
    public void In_process_judge_probability_equals_teacher_forced_sequence_log_probs()
    {
        var tok = TrainingFixtures.Tokenizer;
        var model = new Gpt(TrainingFixtures.TinyModel(context: 160), seed: 9);
        var verdict = new InProcessJudge(model, tok).Judge("What is 2 + 2?", "4", "5");
        var template = new Rlhf.Models.Tokenization.ChatTemplate(tok);
        var prompt = template.EncodePrompt(JudgePrompt.Format("What is 2 + 2?", "4", "5"));
        int[] yes = tok.Encode(" yes"), no = tok.Encode(" no");
        var batch = SequenceBatch.Build([prompt, prompt], [yes, no], tok.EndOfTextId);
        var lp = PolicyForward.LogProbs(model, batch);
        double Sum(int row, int n) => Enumerable.Range(0, n).Sum(j => (double)lp[row * batch.ResponseLength + j]);
        double expected = 1 / (1 + Math.Exp(Sum(1, no.Length) - Sum(0, yes.Length)));
        Assert.Equal(expected, verdict.YesProbability!.Value, 4);
    }
}
