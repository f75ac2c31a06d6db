namespace Rlhf.Training.Data;

/// <summary>What <see cref="SftCollator.Fit"/> did to a set of examples, for the run log.</summary>
public sealed record SftFitReport(int Examples, int Kept, int PromptTruncated, long PromptTokensDropped, int SkippedResponseTooLong, int MaxLength)
{
    /// <summary>One line, e.g. <c>SFT data: kept 98/100; 3 prompts truncated from the left (45 tokens); 2 skipped (response + end-of-text does not fit 256 tokens)</c>.</summary>
    public override string ToString() =>
        $"SFT data: kept {Kept}/{Examples}; {PromptTruncated} prompts truncated from the left ({PromptTokensDropped} tokens); "
        + $"{SkippedResponseTooLong} skipped (response + end-of-text does not fit {MaxLength} tokens)";
}
