using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Rlhf.Training.Scoring;

/// <summary>
/// Finding and normalising final answers in model output — the shared parsing behind every answer checker.
/// <para>
/// Supported: <c>\boxed{...}</c> with nested braces (<c>\boxed{\frac{1}{2}}</c>), the last box wins; a GSM8K final
/// line <c>#### 42</c>, the last one wins; numbers with sign (<c>-7</c>, <c>+7</c>, the Unicode minus <c>−7</c>),
/// decimals (<c>42.0</c> == <c>42</c>, <c>.5</c> == <c>0.5</c>), thousands separators in groups of three
/// (<c>1,234</c>), surrounding <c>$...$</c>, a trailing period, and simple fractions <c>a/b</c>,
/// <c>\frac{a}{b}</c>, <c>\dfrac{a}{b}</c> and <c>\tfrac{a}{b}</c> with integer parts (compared by value, so
/// <c>\frac{1}{2}</c> == <c>0.5</c> == <c>2/4</c>). Everything else is compared as text with all whitespace removed
/// and <c>\left</c>/<c>\right</c>/<c>\!</c> dropped (case-sensitive).
/// </para>
/// Not supported: units (<c>5 cm</c>), percentages, scientific notation beyond what <see cref="double.TryParse(string?, out double)"/> reads,
/// sets/intervals/matrices, symbolic equivalence (<c>2x</c> vs <c>x*2</c>).
/// </summary>
public static partial class AnswerText
{
    private const string BoxedMarker = @"\boxed";

    /// <summary>
    /// The content of the last <c>\boxed{...}</c> (braces matched, so nested groups are kept whole), or null with
    /// <paramref name="problem"/> saying why: no box, or a box whose braces never close.
    /// </summary>
    public static string? Boxed(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = text.LastIndexOf(BoxedMarker, StringComparison.Ordinal);
        while (at >= 0)
        {
            int open = at + BoxedMarker.Length;
            while (open < text.Length && text[open] == ' ') open++;
            if (open < text.Length && text[open] == '{')
            {
                int depth = 0;
                for (int i = open; i < text.Length; i++)
                {
                    if (text[i] == '{') depth++;
                    else if (text[i] == '}' && --depth == 0) { problem = null; return text[(open + 1)..i]; }
                }
                problem = @"unbalanced braces in \boxed{...}";
                return null;
            }
            at = at == 0 ? -1 : text.LastIndexOf(BoxedMarker, at - 1, StringComparison.Ordinal); // "\boxed" without '{': look further back
        }
        problem = @"no \boxed{...} answer";
        return null;
    }

    /// <summary>The text after the last <c>####</c> up to the end of its line, trimmed; null with <paramref name="problem"/> when there is none or it is empty.</summary>
    public static string? FinalLine(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        int at = text.LastIndexOf("####", StringComparison.Ordinal);
        if (at < 0) { problem = "no '#### <answer>' line"; return null; }
        int end = text.IndexOf('\n', at);
        string answer = text[(at + 4)..(end < 0 ? text.Length : end)].Trim();
        problem = answer.Length == 0 ? "empty answer after '####'" : null;
        return answer.Length == 0 ? null : answer;
    }

    /// <summary>The last number written in the text (sign, thousands separators and decimals included), or null with <paramref name="problem"/>.</summary>
    public static string? LastNumber(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        var matches = NumberInText().Matches(text);
        problem = matches.Count == 0 ? "no number in the response" : null;
        return matches.Count == 0 ? null : matches[^1].Value;
    }

    /// <summary>
    /// The canonical form of an answer: a number's shortest invariant form (<c>"42.0"</c> → <c>"42"</c>,
    /// <c>"1,234"</c> → <c>"1234"</c>, <c>"−7"</c> → <c>"-7"</c>, <c>\frac{1}{2}</c> → <c>"0.5"</c>), else the text
    /// with whitespace, <c>$</c> delimiters, <c>\left</c>/<c>\right</c> and a trailing period removed.
    /// </summary>
    public static string Normalize(string answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (TryNumber(answer, out double value)) return value.ToString("R", CultureInfo.InvariantCulture);
        return Strip(answer);
    }

    /// <summary>
    /// Reads <paramref name="answer"/> as a number (see the type for the forms); false when it is not one. Decimals
    /// are parsed as <see cref="decimal"/> first and converted once, so <c>0.1</c> and <c>0.10</c> map to the same double.
    /// </summary>
    public static bool TryNumber(string answer, out double value)
    {
        ArgumentNullException.ThrowIfNull(answer);
        string s = Strip(answer).Replace('\u2212', '-');
        if (Fraction().Match(s) is { Success: true } f)
        {
            double num = double.Parse(f.Groups["n"].Value, CultureInfo.InvariantCulture), den = double.Parse(f.Groups["d"].Value, CultureInfo.InvariantCulture);
            value = (f.Groups["s"].Value == "-" ? -1 : 1) * num / den;
            return den != 0;
        }
        if (!PlainNumber().IsMatch(s)) { value = double.NaN; return false; }
        s = s.Replace(",", "");
        if (decimal.TryParse(s, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out decimal d))
        {
            value = (double)d;
            if (value == 0) value = 0; // -0 → 0
            return true;
        }
        return double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);
    }

    /// <summary>True when both answers read as numbers within the tolerance: |a − b| ≤ abs + rel·|b|.</summary>
    public static bool NumbersClose(string predicted, string reference, double absoluteTolerance, double relativeTolerance) =>
        TryNumber(predicted, out double a) && TryNumber(reference, out double b)
        && Math.Abs(a - b) <= absoluteTolerance + relativeTolerance * Math.Abs(b);

    private static string Strip(string answer)
    {
        var sb = new StringBuilder(answer.Length);
        foreach (char c in answer) if (!char.IsWhiteSpace(c)) sb.Append(c);
        string s = sb.ToString().Replace(@"\left", "").Replace(@"\right", "").Replace(@"\!", "");
        if (s.Length >= 2 && s[0] == '$' && s[^1] == '$') s = s.Trim('$');
        if (s.EndsWith('.')) s = s[..^1];
        return s;
    }

    // 1234 | -1,234.50 | +.5 : thousands separators only in proper groups of three
    [GeneratedRegex(@"^(?=[^0-9]*[0-9])[+-]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?$")]
    private static partial Regex PlainNumber();

    // a/b or \frac{a}{b} (also \dfrac, \tfrac) with an optional sign in front
    [GeneratedRegex(@"^(?<s>[+-]?)(?:\\[dt]?frac\{(?<n>\d+)\}\{(?<d>\d+)\}|(?<n>\d+)/(?<d>\d+))$")]
    private static partial Regex Fraction();

    [GeneratedRegex(@"[+\-\u2212]?(\d{1,3}(,\d{3})+|\d+)(\.\d+)?|[+\-\u2212]?\.\d+")]
    private static partial Regex NumberInText();
}
