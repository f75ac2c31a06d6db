namespace Rlhf.Models.Tokenization;

/// <summary>
/// Token ids of a templated (prompt, response) pair: <c>Ids[..PromptLength]</c> is the prompt, the rest the response
/// ending in end-of-text. Trainers put the loss on positions t ≥ PromptLength only (predicting Ids[t] from Ids[..t]).
/// </summary>
/// <param name="Ids">Prompt ids, then response ids, then the end-of-text id.</param>
/// <param name="PromptLength">Number of prompt ids: the response starts at this index.</param>
public readonly record struct PromptResponseIds(int[] Ids, int PromptLength)
{
    /// <summary>Number of response tokens, end-of-text included.</summary>
    public int ResponseLength => Ids.Length - PromptLength;
}
