namespace Rlhf.Training.Online;

/// <summary><c>online_state.json</c>: the settings and how far the loop got (rounds fully done, and the policy they produced).</summary>
/// <param name="Config">The loop's settings.</param>
/// <param name="CompletedRounds">Rounds whose training finished and whose metrics are logged.</param>
/// <param name="PolicyDirectory">The policy after those rounds (the init checkpoint when none).</param>
public sealed record OnlineState(OnlineConfig Config, int CompletedRounds, string PolicyDirectory);
