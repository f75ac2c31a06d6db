namespace Rlhf.Training.Distributed;

/// <summary>A data-parallel run cannot go on: no MPI library, a failed MPI call, ranks that disagree, a peer that is gone.</summary>
public sealed class DistributedException(string message, Exception? inner = null) : Exception(message, inner);
