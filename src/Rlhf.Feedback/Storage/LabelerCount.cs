namespace Rlhf.Feedback.Storage;

/// <summary>Labels one labeler has given, and the median seconds they took (null when not measured).</summary>
public sealed record LabelerCount(string Name, int Labels, double? MedianSeconds);
