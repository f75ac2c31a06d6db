namespace Rlhf.Data;

/// <summary>
/// A JSONL record with checks beyond what JSON types express (e.g. non-empty text). <see cref="Jsonl.Read{T}"/>
/// calls <see cref="Validate"/> on every record it deserializes.
/// </summary>
public interface IJsonlRecord
{
    /// <summary>Null when the record is valid, else what was expected (e.g. <c>field 'prompt' must be non-empty text</c>).</summary>
    string? Validate();
}
