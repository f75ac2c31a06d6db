namespace Rlhf.Training.Common;

/// <summary>
/// One setting of a config out of range: <see cref="Field"/> is the config property's name (<c>nameof</c>), so a
/// front end can say which of its own inputs to fix (the CLI maps it to the option); <see cref="Message"/> says the
/// value and what was expected.
/// </summary>
public sealed record ConfigProblem(string Field, string Message);
