using System.CommandLine;
using Rlhf.Cli.Judges;
using Rlhf.Models.Checkpoints;
using Rlhf.Feedback.Rounds;
using Rlhf.Feedback.Storage;
using Rlhf.Training.Common;

namespace Rlhf.Cli.Commands;

/// <summary>
/// The options of <c>rlhf online --labeler humans:&lt;db | http(s) URL&gt;</c> and the round labeler they build
/// (<see cref="HumanRoundLabeler"/>): a database path or PostgreSQL connection string is opened directly; a URL is a
/// running <c>rlhf label serve</c> reached with an admin token (<c>--admin-token</c> or <c>RLHF_LABEL_ADMIN_TOKEN</c>).
/// </summary>
internal sealed class HumanLabelerOptions
{
    /// <summary>The labeler spec prefix.</summary>
    public const string Prefix = "humans:";

    /// <summary>Environment variable holding the admin token when <c>--admin-token</c> is not given.</summary>
    public const string TokenVariable = "RLHF_LABEL_ADMIN_TOKEN";

    public Option<int?> Quota { get; } = new("--quota") { Description = "humans: labels to wait for per round (default: --labels-per-task per task of the round)." };

    public Option<int> LabelsPerTask { get; } = new("--labels-per-task") { Description = "humans: labels each task gets (as given to 'label serve'); sets the default quota.", DefaultValueFactory = _ => 1 };

    public Option<TimeSpan?> Deadline { get; } = TrainingOptions.DurationOption("--round-deadline",
        "humans: stop waiting this long after a round's tasks were enqueued and train on the labels so far (e.g. 30m, 2h; default: wait for the quota).");

    public Option<string?> AdminToken { get; } = new("--admin-token") { Description = $"humans:<URL>: an admin token of the label app (default: ${TokenVariable})." };

    public Option<double?> MinQuality { get; } = new("--min-quality") { Description = "humans: leave out labelers whose quality (gold agreement, else majority agreement) is below this, 0..1." };

    public Option<string> Weighting { get; } = new Option<string>("--weighting")
    {
        Description = "humans: 'quality' weighs each label by its labeler's chance-corrected agreement, clamp(2·s − 1, 0, 1) (docs/labeling.md); 'none' counts every label once.",
        DefaultValueFactory = _ => "quality",
    }.AcceptOnlyFromAmong("quality", "none");

    public Option<double> PollSeconds { get; } = new("--poll-seconds") { Description = "humans: seconds between asks for new labels.", DefaultValueFactory = _ => 2 };

    public Option<string?> Assist { get; } = new("--assist")
    {
        Description = "humans: AI critiques shown beside each completion (assisted review), written by an OpenAI-compatible chat endpoint, "
            + "'<http(s) endpoint>#<model>' (key from OPENAI_API_KEY), or by one of our models, 'local:<model dir>'. Marked AI-written on the page; each label records whether they were shown.",
    };

    /// <summary>Every option, to add to the command.</summary>
    public IEnumerable<Option> All => [Quota, LabelsPerTask, Deadline, AdminToken, MinQuality, Weighting, PollSeconds, Assist];

    /// <summary>The critic <c>--assist</c> names (completion texts of a prompt → one critique each), or null without it.</summary>
    public Func<string, IReadOnlyList<string>, IReadOnlyList<string?>>? Critic(ParseResult parse)
    {
        if (parse.GetValue(Assist) is not { } spec) return null;
        if (spec.StartsWith("local:", StringComparison.Ordinal))
        {
            string dir = TrainingCheckpoint.ResolveModelDirectory(spec["local:".Length..]);
            try { return new InProcessCritic(CausalLmCheckpoint.Load(dir), CommandSupport.LoadTokenizer(dir), spec).Critique; }
            catch (ArgumentException e) { throw new TrainingException($"--assist '{spec}': {e.Message}", e); }
        }
        int hash = spec.LastIndexOf('#');
        if (hash <= 0 || hash == spec.Length - 1 || !Uri.TryCreate(spec[..hash], UriKind.Absolute, out var endpoint) || endpoint.Scheme is not ("http" or "https"))
            throw new TrainingException($"--assist: '{spec}' must be '<http(s) endpoint>#<model>' (e.g. http://127.0.0.1:8000/v1#qwen2.5-7b-instruct) or 'local:<model dir>'");
        return new OpenAiCritic(endpoint, spec[(hash + 1)..], Environment.GetEnvironmentVariable("OPENAI_API_KEY")).Critique;
    }

    /// <summary>True for a <c>humans:…</c> labeler spec.</summary>
    public static bool IsHumans(string spec) => spec.StartsWith(Prefix, StringComparison.Ordinal);

    /// <summary>The desk <paramref name="spec"/> names; the caller disposes it.</summary>
    public ILabelDesk OpenDesk(ParseResult parse, string spec)
    {
        string target = spec[Prefix.Length..].Trim();
        if (target.Length == 0) throw new TrainingException("--labeler humans: needs a label store: humans:<database path | connection string | http(s)://server/>");
        if (target.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || target.StartsWith("https://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(target, UriKind.Absolute, out var uri)) throw new TrainingException($"--labeler: '{target}' is not a valid address");
            string? token = parse.GetValue(AdminToken) ?? Environment.GetEnvironmentVariable(TokenVariable);
            if (string.IsNullOrWhiteSpace(token))
                throw new TrainingException($"--labeler {spec}: the label app's admin API needs an admin token: --admin-token or ${TokenVariable} ('rlhf label add-labeler --admin')");
            return new HttpLabelDesk(uri, token.Trim());
        }
        return new StoreLabelDesk(FeedbackStore.Open(target));
    }

    /// <summary>The waiting and weighting settings.</summary>
    public HumanRoundOptions RoundOptions(ParseResult parse)
    {
        int? quota = parse.GetValue(Quota);
        if (quota is < 1) throw new TrainingException($"--quota: {quota} must be ≥ 1");
        int perTask = parse.GetValue(LabelsPerTask);
        if (perTask < 1) throw new TrainingException($"--labels-per-task: {perTask} must be ≥ 1");
        double? min = parse.GetValue(MinQuality);
        if (min is not null and not (>= 0 and <= 1)) throw new TrainingException($"--min-quality: {min} must be between 0 and 1");
        double poll = parse.GetValue(PollSeconds);
        if (!(poll > 0 && double.IsFinite(poll))) throw new TrainingException($"--poll-seconds: {poll} must be positive");
        return new HumanRoundOptions
        {
            Quota = quota, LabelsPerTask = perTask, Deadline = parse.GetValue(Deadline), MinQuality = min, Weighted = parse.GetValue(Weighting) == "quality",
            PollInterval = TimeSpan.FromSeconds(poll),
        };
    }
}
