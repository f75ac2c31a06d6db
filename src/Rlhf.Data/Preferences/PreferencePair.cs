namespace Rlhf.Data.Preferences;

/// <summary>
/// One human comparison: for <see cref="Prompt"/>, <see cref="Chosen"/> was preferred over <see cref="Rejected"/>.
/// Texts are in the project's single-turn form (see <see cref="PreferenceData"/> for how conversations are flattened):
/// the plain format shows the model <c>ChatTemplate.FormatPrompt(Prompt) + ChatTemplate.FormatResponse(Chosen)</c>; a
/// chat template renders <see cref="Messages"/> (or Prompt as one user message) and the response as the assistant's.
/// </summary>
public sealed record PreferencePair(string Prompt, string Chosen, string Rejected)
{
    /// <summary>The prompt as a conversation when the data gave one (see <see cref="RankedCompletions.Messages"/>); null for a single user message.</summary>
    public IReadOnlyList<Rlhf.Models.Tokenization.ChatMessage>? Messages { get; init; }

    /// <summary>The same comparison as a ranked record: K = 2, ranking [0, 1], no ties (one pair of weight 1).</summary>
    public RankedCompletions ToRanked() => new(Prompt, [Chosen, Rejected], [0, 1], []) { Messages = Messages };
}
