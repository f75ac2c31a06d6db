using System.Text;
using Rlhf.Tensors;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Demo;

/// <summary>
/// The built-in corpus of <c>rlhf demo</c>: short, procedurally generated reviews of places, events and things
/// ("The staff were friendly and the coffee was warm. We went on a Sunday morning. I would go again."), so the demo
/// needs no download and no licensed text. Each review has a mood (positive, negative, mixed or neutral) that biases
/// its adjectives, so samples from a model trained on it differ in sentiment — which is what the simulated labelers
/// (and the gold <see cref="Rlhf.Training.Scoring.LexiconSentimentScorer"/>) rank by. Many adjectives are words of that scorer's
/// lexicon; the rest are neutral.
/// <para>
/// Everything is a pure function of the seed: the same seed gives the same corpus, prompts and demonstrations.
/// </para>
/// </summary>
public sealed class ReviewCorpus
{
    private enum Mood { Positive, Negative, Mixed, Neutral }

    private sealed record Aspect(string Text, bool Plural);

    private static readonly string[] Places = ["cafe", "hotel", "park", "museum", "beach", "library", "restaurant", "bakery", "zoo", "market", "station", "gym"];
    private static readonly string[] Events = ["concert", "play", "festival", "match", "wedding", "party", "lecture", "trip", "parade", "class"];
    private static readonly string[] Things = ["movie", "book", "album", "game", "phone", "bike", "jacket", "laptop", "camera", "sofa"];
    private static readonly string[] Qualifiers = ["", "new ", "old ", "little ", "big ", "local ", "famous ", "busy "];
    private static readonly string[] Places2 = ["", " in town", " near the station", " by the river", " on the corner", " downtown"];

    private static readonly Aspect[] PlaceAspects =
        [new("the staff", true), new("the food", false), new("the view", false), new("the room", false), new("the service", false),
         new("the coffee", false), new("the music", false), new("the prices", true), new("the seats", true), new("the garden", false)];
    private static readonly Aspect[] EventAspects =
        [new("the music", false), new("the crowd", false), new("the show", false), new("the ending", false), new("the sound", false),
         new("the tickets", true), new("the seats", true), new("the songs", true), new("the host", false), new("the weather", false)];
    private static readonly Aspect[] ThingAspects =
        [new("the story", false), new("the screen", false), new("the battery", false), new("the price", false), new("the design", false),
         new("the colors", true), new("the ending", false), new("the sound", false), new("the handle", false), new("the box", false)];

    /// <summary>Positive adjectives (all in the gold lexicon).</summary>
    public static readonly IReadOnlyList<string> Positive =
        ["good", "great", "excellent", "wonderful", "amazing", "lovely", "nice", "beautiful", "fantastic", "pleasant", "friendly",
         "helpful", "superb", "warm", "bright", "calm", "cheerful", "delightful", "brilliant", "perfect", "awesome", "fun"];

    /// <summary>Negative adjectives (all in the gold lexicon).</summary>
    public static readonly IReadOnlyList<string> Negative =
        ["bad", "terrible", "awful", "horrible", "boring", "poor", "rude", "dull", "nasty", "disappointing", "broken", "painful",
         "miserable", "gloomy", "cold", "dark", "ugly", "annoying", "sad", "wrong"];

    /// <summary>Neutral adjectives (in neither lexicon list).</summary>
    public static readonly IReadOnlyList<string> Neutral =
        ["small", "old", "new", "busy", "quiet", "large", "simple", "long", "short", "plain", "crowded", "modern", "usual", "loud",
         "cheap", "expensive", "slow", "fast", "strange", "different"];

    private static readonly string[] Days = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"];
    private static readonly string[] Times = ["morning", "afternoon", "evening", "night"];
    private static readonly string[] People = ["friend", "sister", "brother", "mother", "father", "partner", "neighbour", "cousin"];
    private static readonly string[] Experiences = ["day", "visit", "evening", "time", "trip", "afternoon"];
    private static readonly string[] PromptForms = ["Tell me about the {0}.", "How was the {0}?", "What did you think of the {0}?", "Write a review of the {0}."];

    private readonly Rng _rng;

    /// <summary>A generator whose output is a pure function of <paramref name="seed"/>.</summary>
    public ReviewCorpus(ulong seed) => _rng = new Rng(seed);

    /// <summary>A random subject phrase ("little cafe by the river") and the aspects it can be reviewed on.</summary>
    private (string Subject, Aspect[] Aspects) NextSubject()
    {
        int kind = _rng.NextInt(3);
        string noun = kind switch { 0 => Pick(Places), 1 => Pick(Events), _ => Pick(Things) };
        string where = kind == 0 ? Pick(Places2) : "";
        return (Pick(Qualifiers) + noun + where, kind switch { 0 => PlaceAspects, 1 => EventAspects, _ => ThingAspects });
    }

    /// <summary>A prompt such as "How was the old hotel in town?" and the subject it asks about.</summary>
    public (string Prompt, string Subject) NextPrompt()
    {
        var (subject, _) = NextSubject();
        return (string.Format(System.Globalization.CultureInfo.InvariantCulture, Pick(PromptForms), subject), subject);
    }

    /// <summary>A pretraining document: "Review of the {subject}: {review}".</summary>
    public string NextDocument()
    {
        var (subject, aspects) = NextSubject();
        return $"Review of the {subject}: {Review(aspects)}";
    }

    /// <summary>A demonstration: a prompt about a subject and a review of it as the response.</summary>
    public (string Prompt, string Response) NextDemonstration()
    {
        var (subject, aspects) = NextSubject();
        string prompt = string.Format(System.Globalization.CultureInfo.InvariantCulture, Pick(PromptForms), subject);
        return (prompt, Review(aspects));
    }

    /// <summary>Two to four sentences whose adjectives follow a random mood.</summary>
    private string Review(Aspect[] aspects)
    {
        var mood = _rng.NextDouble() switch { < 0.35 => Mood.Positive, < 0.65 => Mood.Negative, < 0.85 => Mood.Mixed, _ => Mood.Neutral };
        int sentences = 2 + _rng.NextInt(3);
        var sb = new StringBuilder();
        for (int s = 0; s < sentences; s++)
        {
            if (s > 0) sb.Append(' ');
            sb.Append(Sentence(mood, aspects, first: s == 0));
        }
        return sb.ToString();
    }

    private string Sentence(Mood mood, Aspect[] aspects, bool first)
    {
        int form = first ? _rng.NextInt(3) : _rng.NextInt(9);
        switch (form)
        {
            case 0: // "The staff were friendly."
            {
                var a = Pick(aspects);
                return $"{Capital(a.Text)} {Be(a)} {Adjective(mood)}.";
            }
            case 1: // "The food was warm and the view was lovely."
            {
                var (a, b) = TwoAspects(aspects);
                return $"{Capital(a.Text)} {Be(a)} {Adjective(mood)} and {b.Text} {Be(b)} {Adjective(mood)}.";
            }
            case 2: // "The show was great but the seats were cold." — the second half leans the other way
            {
                var (a, b) = TwoAspects(aspects);
                var other = mood switch { Mood.Positive => Mood.Negative, Mood.Negative => Mood.Positive, _ => mood };
                return $"{Capital(a.Text)} {Be(a)} {Adjective(mood)} but {b.Text} {Be(b)} {Adjective(other)}.";
            }
            case 3:
                return $"We went on a {Pick(Days)} {Pick(Times)}.";
            case 4:
                return $"I went there with my {Pick(People)}.";
            case 5:
                return $"Overall it was a {Adjective(mood)} {Pick(Experiences)}.";
            case 6:
                return $"My {Pick(People)} said it was {Adjective(mood)}.";
            case 7:
                return mood switch
                {
                    Mood.Positive => _rng.NextInt(2) == 0 ? "I would go again." : "I enjoyed it.",
                    Mood.Negative => _rng.NextInt(2) == 0 ? "I would not go again." : "I hated it.",
                    _ => "I might go again.",
                };
            default:
                return mood switch
                {
                    Mood.Positive => "I will tell my friends.",
                    Mood.Negative => "I want my money back.",
                    _ => "It was fine.",
                };
        }
    }

    /// <summary>An adjective whose polarity follows the mood: mostly its own sign, sometimes neutral, rarely the other sign.</summary>
    private string Adjective(Mood mood)
    {
        double u = _rng.NextDouble();
        return mood switch
        {
            Mood.Positive => u < 0.75 ? Pick(Positive) : u < 0.92 ? Pick(Neutral) : Pick(Negative),
            Mood.Negative => u < 0.75 ? Pick(Negative) : u < 0.92 ? Pick(Neutral) : Pick(Positive),
            Mood.Mixed => u < 0.4 ? Pick(Positive) : u < 0.8 ? Pick(Negative) : Pick(Neutral),
            _ => u < 0.8 ? Pick(Neutral) : u < 0.9 ? Pick(Positive) : Pick(Negative),
        };
    }

    private (Aspect, Aspect) TwoAspects(Aspect[] aspects)
    {
        int i = _rng.NextInt(aspects.Length), j = _rng.NextInt(aspects.Length - 1);
        return (aspects[i], aspects[j >= i ? j + 1 : j]);
    }

    private static string Be(Aspect a) => a.Plural ? "were" : "was";

    private static string Capital(string s) => char.ToUpperInvariant(s[0]) + s[1..];

    private T Pick<T>(IReadOnlyList<T> items) => items[_rng.NextInt(items.Count)];
}
