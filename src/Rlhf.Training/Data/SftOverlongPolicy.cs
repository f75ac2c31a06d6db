using Rlhf.Data;

namespace Rlhf.Training.Data;

/// <summary>What <see cref="SftCollator"/> does with an example whose response (plus end-of-text) cannot fit the max length.</summary>
public enum SftOverlongPolicy
{
    /// <summary>Drop it and count it in <see cref="SftFitReport.SkippedResponseTooLong"/>.</summary>
    Skip,

    /// <summary>Throw <see cref="DataFormatException"/> naming the example.</summary>
    Throw,
}
