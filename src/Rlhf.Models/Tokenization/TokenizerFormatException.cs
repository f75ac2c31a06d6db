namespace Rlhf.Models.Tokenization;

/// <summary>
/// A tokenizer file (vocab.json, merges.txt, tokenizer.json) is malformed or uses a feature this reader does not
/// support. The message starts with the file (and line, or JSON path, where there is one) and says what is wrong.
/// Derives from <see cref="IOException"/> because <see cref="InvalidDataException"/> is sealed.
/// </summary>
public sealed class TokenizerFormatException(string message) : IOException(message);
