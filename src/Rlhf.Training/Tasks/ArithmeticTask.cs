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

    /// <summary>
    /// Column-by-column addition, least significant digit first, each step naming its carry and the digits of the result
    /// written so far: for 478 + 56 it is <c>"8+6=14, carry 1: 4. 7+5+1=13, carry 1: 34. 4+0+1=5: 534."</c> (a shorter
    /// operand is padded with 0; a carry out of the top column is one more step, <c>"0+0+1=1: 1034."</c>). Every step
    /// needs only one-digit sums and copying, which a tiny transformer can learn; the answer is the last step's digits.
    /// Addition only (<see cref="InvalidOperationException"/> for the other operators).
    /// </summary>
    public string Worked
    {
        get
        {
            if (Operator != '+' || Left < 0 || Right < 0) throw new InvalidOperationException($"'{Prompt}': worked solutions are written for addition of non-negative numbers only");
            string a = Format(Left), b = Format(Right);
            int columns = Math.Max(a.Length, b.Length);
            var steps = new List<string>();
            var written = new System.Text.StringBuilder();
            int carry = 0;
            for (int i = 0; i < columns || carry > 0; i++)
            {
                int x = Digit(a, i), y = Digit(b, i), sum = x + y + carry;
                string step = carry > 0
                    ? string.Create(CultureInfo.InvariantCulture, $"{x}+{y}+{carry}={sum}")
                    : string.Create(CultureInfo.InvariantCulture, $"{x}+{y}={sum}");
                carry = sum / 10;
                written.Insert(0, (char)('0' + sum % 10));
                steps.Add($"{step}{(carry > 0 ? ", carry 1" : "")}: {written}.");
            }
            return string.Join(' ', steps);
        }
    }

    /// <summary><see cref="Worked"/> followed by the final line: <c>"… 4+0+1=5: 534. #### 534"</c>.</summary>
    public string WorkedSolution => $"{Worked} #### {Answer}";

    private static int Digit(string number, int fromRight) => fromRight < number.Length ? number[number.Length - 1 - fromRight] - '0' : 0;

    private static string Format(long x) => x.ToString(CultureInfo.InvariantCulture);

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
