using System.Text;

namespace Rlhf.Training.Scoring;

/// <summary>
/// Parses the command-line names of external scorers: <c>http://host:port/path</c> (or https) and
/// <c>cmd:program arg …</c> (arguments split at spaces; "double" or 'single' quotes keep spaces).
/// </summary>
public static class ExternalScorerSpec
{
    /// <summary>Prefix of a program scorer.</summary>
    public const string CommandPrefix = "cmd:";

    /// <summary>True when <paramref name="name"/> names an external scorer (an http(s) URL or <c>cmd:…</c>).</summary>
    public static bool IsExternal(string? name) =>
        name is not null && (name.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || name.StartsWith("https://", StringComparison.OrdinalIgnoreCase)
            || name.StartsWith(CommandPrefix, StringComparison.Ordinal));

    /// <summary>The transport <paramref name="name"/> names; throws <see cref="ArgumentException"/> with what is wrong.</summary>
    public static IScoreTransport Transport(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.StartsWith(CommandPrefix, StringComparison.Ordinal))
        {
            var words = SplitCommandLine(name[CommandPrefix.Length..]);
            if (words.Count == 0) throw new ArgumentException($"'{name}': no program after '{CommandPrefix}'");
            return new ProcessScoreTransport(words[0], words.Skip(1).ToList());
        }
        if (!Uri.TryCreate(name, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"'{name}' is not a valid http(s) URL");
        return new HttpScoreTransport(url);
    }

    /// <summary>The reward <paramref name="name"/> names, with <paramref name="policy"/> (default: <see cref="ExternalScorerPolicy.Default"/>).</summary>
    public static ExternalReward CreateReward(string name, ExternalScorerPolicy? policy = null) => new(Transport(name), policy);

    /// <summary>The gold scorer <paramref name="name"/> names.</summary>
    public static ExternalGoldScorer CreateGold(string name, ExternalScorerPolicy? policy = null) => new(CreateReward(name, policy));

    /// <summary>Words of <paramref name="line"/>: split at whitespace outside quotes; quotes are removed.</summary>
    public static IReadOnlyList<string> SplitCommandLine(string line)
    {
        ArgumentNullException.ThrowIfNull(line);
        var words = new List<string>();
        var word = new StringBuilder();
        bool inWord = false;
        char quote = '\0';
        foreach (char c in line)
        {
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                else word.Append(c);
            }
            else if (c is '"' or '\'') { quote = c; inWord = true; }
            else if (char.IsWhiteSpace(c))
            {
                if (inWord) { words.Add(word.ToString()); word.Clear(); inWord = false; }
            }
            else { word.Append(c); inWord = true; }
        }
        if (quote != '\0') throw new ArgumentException($"'{line}': unclosed {quote} quote");
        if (inWord) words.Add(word.ToString());
        return words;
    }
}
