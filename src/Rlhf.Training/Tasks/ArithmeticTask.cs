using System.Globalization;

namespace Rlhf.Training.Tasks;

/// <summary>
/// One generated problem with its verified answer: the prompt text, the operands and operator it was built from, and
/// <see cref="Answer"/> = the exact result as invariant-culture digits (e.g. <c>"168"</c>, <c>"-7"</c> never occurs:
/// subtraction keeps a ≥ b). <see cref="Solution"/> is a worked answer in the GSM8K final-line format
/// (<c>"123 + 45 = 168. #### 168"</c>), for SFT examples and pretraining text.
/// </summary>
public sealed record ArithmeticTask(ArithmeticKind Kind, string Prompt, long Left, char Operator, long Right, string Answer)
{
    /// <summary>The worked solution: <c>"{a} {op} {b} = {answer}. #### {answer}"</c>.</summary>
    public string Solution => $"{Expression} = {Answer}. #### {Answer}";

    /// <summary>The bare equation <c>"{a} {op} {b} = {answer}"</c> (no chat template, no final line), e.g. for a pretraining corpus.</summary>
    public string Equation => string.Create(CultureInfo.InvariantCulture, $"{Left} {Operator} {Right} = {Answer}");

    /// <summary><c>"{a} {op} {b}"</c>.</summary>
    public string Expression => string.Create(CultureInfo.InvariantCulture, $"{Left} {Operator} {Right}");

    /// <summary>The result computed from the operands (checked arithmetic: overflow throws rather than wraps).</summary>
    public long Compute() => Operator switch
    {
        '+' => checked(Left + Right),
        '-' => checked(Left - Right),
        '*' => checked(Left * Right),
        _ => throw new InvalidOperationException($"unknown operator '{Operator}'"),
    };
}
