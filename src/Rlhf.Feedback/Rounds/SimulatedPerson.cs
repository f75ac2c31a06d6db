using Rlhf.Feedback.Web;

namespace Rlhf.Feedback.Rounds;

/// <summary>
/// A stand-in for a person at the label app, answering through the same HTTP API as the page
/// (<see cref="LabelerClient"/>): fetch the next task, rank its completions by a behaviour, submit with an
/// <c>elapsedMs</c>. For tests of the loop with people and for mixing machine labelers into a human pool
/// (<c>rlhf label simulate --server</c>).
/// <list type="bullet">
/// <item><see cref="Careful"/>: ranks by a score of (prompt, completion), best first (equal scores in index order), reads
/// the AI critiques when there are any, and takes 8 s + 2 s per completion;</item>
/// <item><see cref="Random"/>: a random order seeded by (seed, task id), ignoring the text (an inattentive labeler), in 1.5 s.</item>
/// </list>
/// The times are what the label reports, not waited: the simulation runs as fast as the server answers.
/// </summary>
public sealed class SimulatedPerson
{
    /// <summary>Behaviour name: ranks by the score.</summary>
    public const string Careful = "careful";

    /// <summary>Behaviour name: ranks at random.</summary>
    public const string Random = "random";

    private readonly LabelerClient _client;
    private readonly Func<string, string, double>? _score;
    private readonly ulong _seed;
    private readonly string _name;
    private readonly List<(long Task, long Label)> _acknowledged = [];
    private readonly Lock _lock = new();

    /// <summary>
    /// A person named <paramref name="name"/> (the prefix of their submission ids) labeling through
    /// <paramref name="client"/> with <paramref name="behaviour"/>; <paramref name="score"/> is required for <see cref="Careful"/>.
    /// </summary>
    public SimulatedPerson(string name, LabelerClient client, string behaviour, Func<string, string, double>? score = null, ulong seed = 1)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(client);
        if (behaviour is not (Careful or Random)) throw new ArgumentException($"unknown behaviour '{behaviour}' (expected '{Careful}' or '{Random}')", nameof(behaviour));
        if (behaviour == Careful && score is null) throw new ArgumentException("a careful person needs a score to rank by", nameof(score));
        (_name, _client, Behaviour, _score, _seed) = (name, client, behaviour, score, seed);
    }

    /// <summary>The behaviour.</summary>
    public string Behaviour { get; }

    /// <summary>Every label the server acknowledged (2xx), as (task id, label id), in order.</summary>
    public IReadOnlyList<(long Task, long Label)> Acknowledged
    {
        get { lock (_lock) return [.. _acknowledged]; }
    }

    /// <summary>Labels the next task, if there is one; false when none is open for this person now.</summary>
    public bool LabelOne()
    {
        var task = _client.Next();
        if (task is null) return false;
        var indices = task.Completions.Select(c => c.Index).ToList();
        List<int> ranking;
        if (Behaviour == Careful)
        {
            var scores = task.Completions.ToDictionary(c => c.Index, c => _score!(task.Prompt, c.Text));
            ranking = [.. indices.Order().OrderByDescending(i => scores[i])]; // stable: equal scores stay in index order
        }
        else
        {
            // seeded by (seed, task): the same person orders a task the same way whatever order tasks come in
            var rng = new System.Random(unchecked((int)(((_seed + 1) * 0x9E3779B97F4A7C15UL ^ (ulong)task.Id * 0xBF58476D1CE4E5B9UL) >> 33)));
            ranking = [.. indices.Order()];
            for (int i = ranking.Count - 1; i > 0; i--)
            {
                int j = rng.Next(i + 1);
                (ranking[i], ranking[j]) = (ranking[j], ranking[i]);
            }
        }
        bool critiques = task.Completions.Any(c => c.Critique is not null);
        long elapsed = Behaviour == Careful ? 8000 + 2000L * indices.Count : 1500;
        var (labelId, _) = _client.Submit(task.Id, new SubmitRequest($"{_name}-{task.Id}", [.. ranking], [], false, false, elapsed,
            SawCritiques: Behaviour == Careful && critiques));
        lock (_lock) _acknowledged.Add((task.Id, labelId));
        return true;
    }

    /// <summary>
    /// Labels until <paramref name="cancel"/> fires, asking again every <paramref name="idlePoll"/> when no task is open;
    /// with <paramref name="stopWhenIdleFor"/>, also stops after that long without a task. Returns the labels given.
    /// </summary>
    public int Run(TimeSpan idlePoll, TimeSpan? stopWhenIdleFor = null, CancellationToken cancel = default)
    {
        int given = 0;
        var idleSince = DateTime.UtcNow;
        while (!cancel.IsCancellationRequested)
        {
            if (LabelOne()) { given++; idleSince = DateTime.UtcNow; continue; }
            if (stopWhenIdleFor is { } idle && DateTime.UtcNow - idleSince >= idle) break;
            if (cancel.WaitHandle.WaitOne(idlePoll)) break;
        }
        return given;
    }
}
