namespace Rlhf.Data.Preferences;

/// <summary>Which kind of preference records a JSONL file holds (one kind per file).</summary>
public enum PreferenceFormat
{
    /// <summary><c>{"prompt", "chosen", "rejected"}</c> (TRL's format): one comparison per record.</summary>
    Pairwise,

    /// <summary><c>{"prompt", "completions", "ranking", "ties"?}</c>: K completions ranked best to worst.</summary>
    Ranked,
}
