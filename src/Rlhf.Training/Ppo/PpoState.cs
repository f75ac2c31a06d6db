using System.Text.Json.Nodes;
using Rlhf.Tensors;
using Rlhf.Training.Data;

namespace Rlhf.Training.Ppo;

/// <summary>
/// <c>trainer_state.json</c> of a PPO checkpoint: everything beyond weights and optimizer moments that a resumed run
/// needs to continue bit for bit. <see cref="Iteration"/> iterations are done.
/// </summary>
/// <param name="Kind">Always <see cref="PpoTrainer.Kind"/>.</param>
/// <param name="Iteration">Completed iterations.</param>
/// <param name="Config">The run's settings.</param>
/// <param name="Rng">The run's generator (prompt order, sampling, minibatch order, ptx windows).</param>
/// <param name="Prompts">Position in the prompts (the current pass's permutation; <see cref="Rng"/> shuffles the next).</param>
/// <param name="KlCoef">β of the KL controller.</param>
/// <param name="Guard">The run guard's state (null without a guard).</param>
/// <param name="BestIteration">Iteration of <c>best/</c> (−1: none yet).</param>
/// <param name="SkippedSamples">Samples dropped for a non-finite reward or log-prob so far.</param>
/// <param name="SkippedUpdates">Minibatch updates skipped for a non-finite loss or gradient so far.</param>
/// <param name="GuardStop">Why the guard stopped the run (null: it did not).</param>
public sealed record PpoState(string Kind, int Iteration, PpoConfig Config, RngState Rng, ShuffledOrderState Prompts,
    double KlCoef, JsonNode? Guard, int BestIteration, long SkippedSamples, long SkippedUpdates, string? GuardStop);
