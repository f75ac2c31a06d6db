using System.Globalization;
using System.Text.RegularExpressions;
using Rlhf.Tensors;
using Rlhf.Training.Data;
using Rlhf.Training.Rl;
using Rlhf.Data;
using Rlhf.Data.Prompts;

namespace Rlhf.Training.Tasks;

/// <summary>
/// Seeded generator of arithmetic problems with verified answers (the verifiable-reward task of GRPO's demo).
/// Difficulty is the operands' digit count: each operand's length is drawn uniformly from
/// [<c>minDigits</c>, <c>maxDigits</c>] and its value uniformly among numbers of that length (so "2-3" gives as many
/// 2-digit as 3-digit operands). Problems are distinct by prompt. Every answer is checked twice before it is
/// returned (<see cref="Verify"/>): recomputed from the operands, and the operands re-read from the prompt text, so a
/// template bug cannot ship a wrong answer.
/// </summary>
public sealed partial class ArithmeticTaskGenerator(ulong seed)
{
    private readonly Rng _rng = new(seed);

    private static readonly (string Text, char Op)[] Stories =
    [
        ("{name} has {a} apples and buys {b} more. How many apples does {name} have now?", '+'),
        ("A shelf holds {a} books and {b} more are added. How many books are on the shelf?", '+'),
        ("{name} had {a} coins and spent {b}. How many coins are left?", '-'),
        ("A bus carries {a} people and {b} get off. How many people are still on the bus?", '-'),
        ("There are {a} boxes with {b} pencils in each. How many pencils are there in total?", '*'),
        ("{name} reads {b} pages a day for {a} days. How many pages does {name} read?", '*'),
    ];

    private static readonly string[] Names = ["Sam", "Ana", "Lee", "Mia", "Tom", "Ivy"];

    /// <summary>
    /// <paramref name="count"/> distinct problems of <paramref name="kind"/> with operands of
    /// <paramref name="minDigits"/>..<paramref name="maxDigits"/> digits (1 ≤ min ≤ max ≤ 9). Throws
    /// <see cref="ArgumentException"/> when fewer distinct problems exist than asked for.
    /// </summary>
    public List<ArithmeticTask> Generate(ArithmeticKind kind, int minDigits, int maxDigits, int count)
    {
        if (minDigits < 1 || maxDigits > 9 || minDigits > maxDigits)
            throw new ArgumentException($"digits {minDigits}-{maxDigits}: expected 1 ≤ min ≤ max ≤ 9");
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var tasks = new List<ArithmeticTask>(count);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        int attempts = 0, limit = 100 * count + 1000;
        while (tasks.Count < count)
        {
            if (++attempts > limit)
                throw new ArgumentException($"only {tasks.Count} distinct {kind} problems with {minDigits}-{maxDigits} digits found in {limit} draws; ask for fewer");
            var task = Next(kind, minDigits, maxDigits);
            if (seen.Add(task.Prompt)) tasks.Add(task);
        }
        return tasks;
    }

    /// <summary>
    /// Splits <paramref name="tasks"/> into train and held-out sets: the last <paramref name="heldOut"/> problems (the
    /// generator's order is already random) are held out. Problems are distinct, so the two sets share no prompt.
    /// </summary>
    public static (List<ArithmeticTask> Train, List<ArithmeticTask> HeldOut) Split(IReadOnlyList<ArithmeticTask> tasks, int heldOut)
    {
        ArgumentNullException.ThrowIfNull(tasks);
        if (heldOut < 0 || heldOut > tasks.Count) throw new ArgumentException($"held-out count {heldOut} must be in [0, {tasks.Count}]");
        return ([.. tasks.Take(tasks.Count - heldOut)], [.. tasks.Skip(tasks.Count - heldOut)]);
    }

    /// <summary>Writes <c>{"prompt","answer"}</c> lines (<see cref="RlPrompt"/>), atomically; returns the count.</summary>
    public static int ExportJsonl(string path, IEnumerable<ArithmeticTask> tasks) =>
        Jsonl.Write(path, tasks.Select(t => new RlPrompt(t.Prompt, t.Answer)));

    /// <summary>
    /// Writes <c>{"prompt","response"}</c> SFT lines, atomically: the response is <see cref="ArithmeticTask.Solution"/>, or
    /// with <paramref name="worked"/> the column-by-column <see cref="ArithmeticTask.WorkedSolution"/> (addition only).
    /// </summary>
    public static int ExportSft(string path, IEnumerable<ArithmeticTask> tasks, bool worked = false) =>
        Jsonl.Write(path, tasks.Select(t => new SftExample(t.Prompt, worked ? t.WorkedSolution : t.Solution)));

    /// <summary>
    /// Throws <see cref="InvalidOperationException"/> unless the answer equals the result recomputed from the operands
    /// AND the operands are the numbers written in the prompt (in order), i.e. the prompt asks what the answer answers.
    /// </summary>
    public static void Verify(ArithmeticTask task)
    {
        ArgumentNullException.ThrowIfNull(task);
        string expected = task.Compute().ToString(CultureInfo.InvariantCulture);
        if (task.Answer != expected) throw new InvalidOperationException($"'{task.Prompt}': answer {task.Answer} but {task.Expression} = {expected}");
        var numbers = Number().Matches(task.Prompt).Select(m => long.Parse(m.Value, CultureInfo.InvariantCulture)).ToList();
        bool ok = numbers.Count == 2 && (task.Kind == ArithmeticKind.WordProblem
            ? numbers.Order().SequenceEqual(new[] { task.Left, task.Right }.Order())
            : numbers[0] == task.Left && numbers[1] == task.Right);
        if (!ok) throw new InvalidOperationException($"'{task.Prompt}': the prompt's numbers [{string.Join(", ", numbers)}] are not the operands {task.Left}, {task.Right}");
    }

    private ArithmeticTask Next(ArithmeticKind kind, int minDigits, int maxDigits)
    {
        long a = Operand(minDigits, maxDigits), b = Operand(minDigits, maxDigits);
        ArithmeticTask task;
        if (kind == ArithmeticKind.WordProblem)
        {
            var (text, op) = Stories[_rng.NextInt(Stories.Length)];
            if (op == '-' && a < b) (a, b) = (b, a);
            string name = Names[_rng.NextInt(Names.Length)];
            string prompt = text.Replace("{name}", name).Replace("{a}", Format(a)).Replace("{b}", Format(b));
            task = Make(kind, prompt, a, op, b);
        }
        else
        {
            char op = kind switch { ArithmeticKind.Addition => '+', ArithmeticKind.Subtraction => '-', _ => '*' };
            if (op == '-' && a < b) (a, b) = (b, a);
            task = Make(kind, $"What is {Format(a)} {op} {Format(b)}?", a, op, b);
        }
        Verify(task);
        return task;
    }

    private static ArithmeticTask Make(ArithmeticKind kind, string prompt, long a, char op, long b)
    {
        var t = new ArithmeticTask(kind, prompt, a, op, b, "");
        return t with { Answer = t.Compute().ToString(CultureInfo.InvariantCulture) };
    }

    private long Operand(int minDigits, int maxDigits)
    {
        int digits = minDigits + _rng.NextInt(maxDigits - minDigits + 1);
        long lo = digits == 1 ? 0 : Pow10(digits - 1), hi = Pow10(digits); // [lo, hi)
        return lo + (long)(_rng.NextDouble() * (hi - lo));
    }

    private static long Pow10(int n) { long p = 1; for (int i = 0; i < n; i++) p *= 10; return p; }

    private static string Format(long x) => x.ToString(CultureInfo.InvariantCulture);

    [GeneratedRegex(@"\d+")]
    private static partial Regex Number();
}
