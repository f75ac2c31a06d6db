namespace Rlhf.Feedback.Tests;

/// <summary>The databases the label store runs on; store tests run once per backend.</summary>
public enum Backend
{
    Sqlite,
    Postgres,
}
