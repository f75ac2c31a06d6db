using Rlhf.Training.Data;
using Rlhf.Training.Rl;
using Rlhf.Training.Tasks;
using Rlhf.Data;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.Tasks;

public sealed class ArithmeticTaskGeneratorTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Theory]
    [InlineData(ArithmeticKind.Addition)]
    [InlineData(ArithmeticKind.Subtraction)]
    [InlineData(ArithmeticKind.Multiplication)]
    [InlineData(ArithmeticKind.WordProblem)]
    public void Answers_are_correct_distinct_and_seeded(ArithmeticKind kind)
    {
        var tasks = new ArithmeticTaskGenerator(7).Generate(kind, 2, 3, 300);
        Assert.Equal(300, tasks.Select(t => t.Prompt).Distinct().Count());
        foreach (var t in tasks)
        {
            ArithmeticTaskGenerator.Verify(t);
            long expected = t.Operator switch { '+' => t.Left + t.Right, '-' => t.Left - t.Right, _ => t.Left * t.Right };
            Assert.Equal(expected.ToString(System.Globalization.CultureInfo.InvariantCulture), t.Answer);
            Assert.InRange(t.Left.ToString().Length, 2, 3);
            Assert.InRange(t.Right.ToString().Length, 2, 3);
            Assert.False(t.Answer.StartsWith('-'));
            Assert.Equal(1f, new FinalAnswerLineChecker().Score([new RewardRequest(t.Prompt, t.Solution, t.Answer)])[0].Reward);
        }
        Assert.Contains(tasks, t => t.Left < 100);
        Assert.Contains(tasks, t => t.Left >= 100);
        Assert.Equal(tasks, new ArithmeticTaskGenerator(7).Generate(kind, 2, 3, 300));
        Assert.NotEqual(tasks.Select(t => t.Prompt), new ArithmeticTaskGenerator(8).Generate(kind, 2, 3, 300).Select(t => t.Prompt));
    }

    [Theory]
    [InlineData(478, 56, "8+6=14, carry 1: 4. 7+5+1=13, carry 1: 34. 4+0+1=5: 534.")]
    [InlineData(22, 44, "2+4=6: 6. 2+4=6: 66.")]
    [InlineData(999, 1, "9+1=10, carry 1: 0. 9+0+1=10, carry 1: 00. 9+0+1=10, carry 1: 000. 0+0+1=1: 1000.")]
    [InlineData(5, 70, "5+0=5: 5. 0+7=7: 75.")]
    [InlineData(0, 0, "0+0=0: 0.")]
    public void Worked_addition_goes_column_by_column_with_carries(long a, long b, string expected)
    {
        var t = new ArithmeticTask(ArithmeticKind.Addition, $"What is {a} + {b}?", a, '+', b, (a + b).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.Equal(expected, t.Worked);
        Assert.Equal($"{expected} #### {a + b}", t.WorkedSolution);
        Assert.Equal(1f, new FinalAnswerLineChecker().Score([new RewardRequest(t.Prompt, t.WorkedSolution, t.Answer)])[0].Reward);
    }

    [Fact]
    public void Worked_solutions_end_in_the_answer_and_exist_for_addition_only()
    {
        foreach (var t in new ArithmeticTaskGenerator(5).Generate(ArithmeticKind.Addition, 1, 4, 200))
            Assert.EndsWith($": {t.Answer}.", t.Worked);
        var minus = new ArithmeticTaskGenerator(5).Generate(ArithmeticKind.Subtraction, 2, 2, 1)[0];
        Assert.Throws<InvalidOperationException>(() => minus.Worked);
    }

    [Fact]
    public void Verify_rejects_a_wrong_answer_or_a_prompt_that_asks_something_else()
    {
        var t = new ArithmeticTaskGenerator(1).Generate(ArithmeticKind.Addition, 2, 2, 1)[0];
        Assert.Throws<InvalidOperationException>(() => ArithmeticTaskGenerator.Verify(t with { Answer = "1" }));
        Assert.Throws<InvalidOperationException>(() => ArithmeticTaskGenerator.Verify(t with { Prompt = "What is 1 + 2?" }));
    }

    [Fact]
    public void Split_is_disjoint_and_exports_load_back_with_answers()
    {
        var all = new ArithmeticTaskGenerator(3).Generate(ArithmeticKind.Addition, 1, 2, 120);
        var (train, held) = ArithmeticTaskGenerator.Split(all, 20);
        Assert.Equal((100, 20), (train.Count, held.Count));
        Assert.Empty(train.Select(t => t.Prompt).Intersect(held.Select(t => t.Prompt)));
        string path = _tmp.File("train.jsonl");
        Assert.Equal(100, ArithmeticTaskGenerator.ExportJsonl(path, train));
        var loaded = RlPrompt.Load(path, requireAnswer: true);
        Assert.Equal(train.Select(t => (t.Prompt, t.Answer)), loaded.Select(p => (p.Prompt, p.Answer!)));
        ArithmeticTaskGenerator.ExportSft(_tmp.File("sft.jsonl"), train.Take(3));
        Assert.Equal(train[0].Solution, Jsonl.Read<SftExample>(_tmp.File("sft.jsonl")).First().Record.Response);
    }

    [Fact]
    public void Asking_for_more_distinct_problems_than_exist_is_a_clear_error()
    {
        var e = Assert.Throws<ArgumentException>(() => new ArithmeticTaskGenerator(1).Generate(ArithmeticKind.Addition, 1, 1, 200));
        Assert.Contains("distinct", e.Message);
        Assert.Throws<ArgumentException>(() => new ArithmeticTaskGenerator(1).Generate(ArithmeticKind.Addition, 3, 2, 1));
    }

    [Fact]
    public void A_prompt_without_an_answer_is_an_error_naming_the_line()
    {
        string path = _tmp.File("p.jsonl");
        File.WriteAllLines(path, ["{\"prompt\":\"What is 1 + 2?\",\"answer\":\"3\"}", "{\"prompt\":\"What is 2 + 2?\"}"]);
        var e = Assert.Throws<DataFormatException>(() => RlPrompt.Load(path, requireAnswer: true));
        Assert.Contains("p.jsonl:2", e.Message);
    }
}
