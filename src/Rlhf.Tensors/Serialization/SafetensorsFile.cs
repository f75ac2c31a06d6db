namespace Rlhf.Tensors.Serialization;

/// <summary>The contents of a safetensors file: tensors (converted to F32) in header order, plus the string metadata.</summary>
public sealed class SafetensorsFile
{
    internal SafetensorsFile(string source, OrderedDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        Source = source;
        Tensors = tensors;
        Metadata = metadata;
    }

    /// <summary>Where the data came from (the path, or a caller-given name for in-memory data).</summary>
    public string Source { get; }

    /// <summary>Tensors by name, in the order the header lists them. Each tensor is contiguous, F32, with <see cref="Tensor.Name"/> set.</summary>
    public OrderedDictionary<string, Tensor> Tensors { get; }

    /// <summary>The <c>__metadata__</c> string map (empty when the file has none).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The tensor called <paramref name="name"/>; throws <see cref="SafetensorsFormatException"/> naming the file when absent.</summary>
    public Tensor Get(string name) =>
        Tensors.TryGetValue(name, out var t) ? t : throw new SafetensorsFormatException($"{Source}: no tensor named '{name}'");
}
