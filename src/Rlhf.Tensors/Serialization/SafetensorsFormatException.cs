namespace Rlhf.Tensors.Serialization;

/// <summary>
/// A safetensors file (or an optimizer state file) is malformed or does not match what the reader expects.
/// The message names the file and what is wrong. Derives from <see cref="IOException"/> because
/// <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class SafetensorsFormatException(string message) : IOException(message);
