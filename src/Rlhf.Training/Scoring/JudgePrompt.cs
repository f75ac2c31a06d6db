namespace Rlhf.Training.Scoring;

/// <summary>
/// The question put to a judge model, one template for every backend so verdicts are comparable: the problem, the
/// candidate solution and the reference answer, then "Do they agree? Answer yes or no:". Its reply is read by
/// <see cref="ParseReply"/>.
/// </summary>
public static class JudgePrompt
{
    /// <summary>The system message for chat endpoints.</summary>
    public const string System = "You grade solutions. Compare the solution's final answer with the reference answer and reply with one word: yes or no.";

    /// <summary>The question text.</summary>
    public static string Format(string problem, string solution, string reference) =>
        $"Problem: {problem}\nSolution: {solution}\nReference answer: {reference}\nDo they agree? Answer yes or no:";

    /// <summary>True for a reply starting with "yes", false for "no" (case and surrounding punctuation ignored); throws <see cref="FormatException"/> otherwise.</summary>
    public static bool ParseReply(string? reply)
    {
        string word = new((reply ?? "").Trim().TrimStart('"', '\'', '*').TakeWhile(char.IsLetter).ToArray());
        return word.ToLowerInvariant() switch
        {
            "yes" => true,
            "no" => false,
            _ => throw new FormatException($"unparsable judge reply '{Shorten(reply ?? "")}' (expected yes or no)"),
        };
    }

    private static string Shorten(string s) => s.Length <= 60 ? s : s[..60] + "…";
}
