namespace Rlhf.Training.Tasks;

/// <summary>The families of generated arithmetic problems.</summary>
public enum ArithmeticKind
{
    /// <summary>"What is a + b?"</summary>
    Addition,
    /// <summary>"What is a - b?" (a ≥ b, so answers are never negative).</summary>
    Subtraction,
    /// <summary>"What is a * b?"</summary>
    Multiplication,
    /// <summary>One-sentence stories that need one addition, subtraction or multiplication.</summary>
    WordProblem,
}
