namespace Rlhf.Tensors;

/// <summary>Thrown when an op gets tensors of incompatible shapes; the message names the op and the shapes.</summary>
public sealed class TensorShapeException(string message) : ArgumentException(message);
