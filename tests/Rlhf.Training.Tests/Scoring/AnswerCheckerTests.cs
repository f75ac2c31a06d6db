using Rlhf.Training.Rl;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Scoring;

public class AnswerCheckerTests
{
    private static RewardOutcome One(IRewardFunction f, string completion, string? answer) => f.Score([new RewardRequest("q", completion, answer)])[0];

    [Theory]
    [InlineData(@"so the answer is \boxed{\frac{1}{2}}.", @"\frac{1}{2}")]
    [InlineData(@"\boxed{ {a}{b} } tail", " {a}{b} ")]
    [InlineData(@"first \boxed{3}, then \boxed{4}", "4")]
    [InlineData(@"\boxed {-7}", "-7")]
    [InlineData(@"\boxed{12} and a stray \boxed", "12")]
    public void Boxed_matches_braces_and_takes_the_last_box(string text, string expected) =>
        Assert.Equal(expected, AnswerText.Boxed(text, out _));

    [Theory]
    [InlineData(@"\boxed{12", "unbalanced")]
    [InlineData("42", "no \\boxed")]
    public void Boxed_says_why_there_is_no_answer(string text, string problem)
    {
        Assert.Null(AnswerText.Boxed(text, out var why));
        Assert.Contains(problem, why);
    }

    [Theory]
    [InlineData("42.0", "42", true)]
    [InlineData("42", "42.000", true)]
    [InlineData("-7", "\u22127", true)]
    [InlineData("+7", "7", true)]
    [InlineData("-7", "7", false)]
    [InlineData("1,234", "1234", true)]
    [InlineData("1,23", "123", false)]
    [InlineData(" 4 2 ", "42", true)]
    [InlineData("$42$", "42", true)]
    [InlineData("42.", "42", true)]
    [InlineData(@"\frac{1}{2}", "0.5", true)]
    [InlineData(@"\dfrac{2}{4}", "1/2", true)]
    [InlineData(".5", "0.5", true)]
    [InlineData("-0", "0", true)]
    [InlineData("42.5", "42", false)]
    [InlineData("x + 1", "x+1", true)]
    [InlineData("X+1", "x+1", false)]
    public void Normalization_compares_numbers_by_value_and_text_without_spaces(string a, string b, bool equal) =>
        Assert.Equal(equal, AnswerText.Normalize(a) == AnswerText.Normalize(b));

    [Fact]
    public void Boxed_checker_scores_exact_normalised_matches()
    {
        var c = new BoxedAnswerChecker();
        Assert.Equal(1f, One(c, @"thus \boxed{\frac{1}{2}}", "0.5").Reward);
        Assert.Equal(1f, One(c, @"\boxed{ 42.0 }", "42").Reward);
        Assert.Equal(1f, One(c, @"\boxed{-7}", "-7").Reward);
        var wrong = One(c, @"\boxed{7}", "-7");
        Assert.Equal(0f, wrong.Reward);
        Assert.Contains("does not match", wrong.Note);
    }

    [Fact]
    public void Final_line_checker_reads_the_last_hash_line()
    {
        var c = new FinalAnswerLineChecker();
        Assert.Equal(1f, One(c, "12 + 30 = 42.\n#### 42\n", "42").Reward);
        Assert.Equal(1f, One(c, "#### 41\nno wait\n####   1,234  ", "1234").Reward);
        Assert.Equal(1f, One(c, "5 - 12 = -7. #### -7", "-7").Reward);
        Assert.Equal(0f, One(c, "#### 43", "42").Reward);
        var none = One(c, "the answer is 42", "42");
        Assert.Equal(0f, none.Reward);
        Assert.Contains("no '####", none.Note);
        Assert.Contains("empty answer", One(c, "####   \n", "42").Note);
    }

    [Fact]
    public void Numeric_match_uses_the_tolerance_and_falls_back_to_the_last_number()
    {
        Assert.Equal(1f, One(new NumericMatch(1e-3), "pi is about 3.14159", "3.1416").Reward);
        Assert.Equal(0f, One(new NumericMatch(), "pi is about 3.14159", "3.1416").Reward);
        Assert.Equal(1f, One(new NumericMatch(0, 0.01), @"\boxed{99.5}", "100").Reward);
        Assert.Equal(1f, One(new NumericMatch(), "we get -1,000.0 in total", "-1000").Reward);
        Assert.Equal(1f, One(new NumericMatch(), "#### 7", "7").Reward);
        Assert.Contains("no number", One(new NumericMatch(), "no idea", "7").Note);
    }

    [Fact]
    public void Bad_input_scores_zero_with_a_reason_and_never_throws()
    {
        IRewardFunction[] checkers = [new BoxedAnswerChecker(), new FinalAnswerLineChecker(), new NumericMatch()];
        foreach (var c in checkers)
        {
            var noAnswer = One(c, @"\boxed{3} #### 3", null);
            Assert.Equal((0f, "the task has no reference answer"), (noAnswer.Reward, noAnswer.Note));
            foreach (string garbage in new[] { "", "\0\0}{{", @"\boxed{\boxed{", "####", new string('{', 10000) })
            {
                var o = One(c, garbage, "3");
                Assert.Equal(0f, o.Reward);
                Assert.False(string.IsNullOrEmpty(o.Note));
            }
        }
    }

    [Fact]
    public void Format_rewards_check_shape_only()
    {
        Assert.Equal(1f, One(FormatReward.Boxed(), @"\boxed{wrong}", "3").Reward);
        Assert.Equal(0f, One(FormatReward.Boxed(), @"\boxed{3", "3").Reward);
        Assert.Equal(1f, One(FormatReward.FinalLine(), "1 + 2 = 3. #### 3\n", null).Reward);
        Assert.Contains("text after", One(FormatReward.FinalLine(), "#### 3\nmore", null).Note);
        Assert.Equal(1f, One(FormatReward.Matching(new(@"^\d+$")), "123", null).Reward);
    }

    [Fact]
    public void Weighted_combination_of_correctness_and_format()
    {
        // a local weighted sum (the shared WeightedReward lives in Rl/): 1·correct + 0.1·format
        (IRewardFunction F, float W)[] parts = [(new FinalAnswerLineChecker(), 1f), (FormatReward.FinalLine(), 0.1f)];
        float Score(string completion) => parts.Sum(p => p.W * p.F.Score([new RewardRequest("q", completion, "42")])[0].Reward);
        Assert.Equal(1.1f, Score("#### 42"), 5);
        Assert.Equal(0.1f, Score("#### 41"), 5);
        Assert.Equal(0f, Score("42"), 5);
    }
}
