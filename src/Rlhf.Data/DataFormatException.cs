namespace Rlhf.Data;

/// <summary>
/// A training data file (JSONL, token cache, metrics log) or a data item is malformed. The message starts with
/// where (<c>path:line:</c> for line-based files, <c>path:</c> for binary ones, the item's source otherwise) and says
/// what was expected. Derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class DataFormatException(string message, Exception? inner = null) : IOException(message, inner);
