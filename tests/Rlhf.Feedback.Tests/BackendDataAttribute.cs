using System.Reflection;
using Xunit.Sdk;

namespace Rlhf.Feedback.Tests;

/// <summary>
/// One theory row per backend: <c>[BackendData(Backend.Sqlite)]</c>, <c>[BackendData(Backend.Postgres)]</c>. The
/// PostgreSQL row is skipped, saying why, only when no local server answers (<see cref="TestDatabase.PostgresProblem"/>);
/// with <c>RLHF_REQUIRE_POSTGRES=1</c> (CI) it runs anyway and fails with the connection error.
/// </summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = true)]
public sealed class BackendDataAttribute : DataAttribute
{
    public BackendDataAttribute(Backend backend)
    {
        Backend = backend;
        if (backend == Backend.Postgres && TestDatabase.PostgresProblem is { } why && Environment.GetEnvironmentVariable("RLHF_REQUIRE_POSTGRES") != "1")
            Skip = why;
    }

    public Backend Backend { get; }

    public override IEnumerable<object[]> GetData(MethodInfo testMethod) => [[Backend]];
}
