using System.Text;
using Rlhf.Data.Prompts;
using Rlhf.Tensors;
using Rlhf.Training.Rl;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Distributed;

/// <summary>
/// Rollouts sharded by prompt: each rank samples and scores the responses to its contiguous shard of the step's
/// prompts, then every rank receives all samples and scores (one MPI_Allgatherv), in the single-process order, so
/// advantages, metrics and the rest of the step see the global batch.
/// <para>
/// <b>Same rollouts as one process.</b> The generator draws one value from the run's generator per row, in row order
/// (<see cref="Models.Generation.Generator"/>: a row's sampling generator is seeded with it), and row i is sample
/// i mod G of prompt ⌊i/G⌋. A rank whose shard starts at prompt p₀ skips the first p₀·G draws, samples its rows with
/// the next ones, and then sets the run's generator to where one process leaves it (B·G draws past the start). So
/// row i is sampled with the same seed whatever the number of ranks, and the generator state in the checkpoint is
/// the single-process one. (Only the floating-point sums of a differently padded batch can differ, in the last bits.)
/// </para>
/// </summary>
public static class RolloutShards
{
    /// <summary>All samples of the step in prompt-major order, their scores, a scoring failure (the first rank's that had one), and which samples were this rank's.</summary>
    public sealed record Result(List<RolloutSample> Samples, RewardOutcome[] Outcomes, string? Failure, int LocalStart, int LocalCount);

    /// <summary>
    /// Samples <paramref name="group"/> responses to each of <paramref name="prompts"/> with <paramref name="sample"/>
    /// (which must draw one value of <paramref name="rng"/> per row, as <see cref="RolloutSampler.Sample"/> does) and scores
    /// them with <paramref name="score"/>; under <c>mpiexec</c>, sharded by prompt and gathered (see the class summary).
    /// One process: exactly <c>sample(prompts)</c> then <c>score(samples)</c>.
    /// </summary>
    public static Result SampleAndScore(IReadOnlyList<RlPrompt> prompts, int group, Rng rng,
        Func<IReadOnlyList<RlPrompt>, List<RolloutSample>> sample, Func<List<RolloutSample>, (RewardOutcome[] Outcomes, string? Failure)> score)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(sample);
        ArgumentNullException.ThrowIfNull(score);
        ArgumentOutOfRangeException.ThrowIfLessThan(group, 1);
        if (!DataParallel.IsDistributed)
        {
            var all = sample(prompts);
            var (outcomes, failure) = score(all);
            return new Result(all, outcomes, failure, 0, all.Count);
        }

        // 1. this rank's prompts, sampled with the single-process run's row seeds
        var (p0, count) = DataParallel.ShardOf(prompts.Count);
        var start = rng.GetState();
        Skip(rng, (long)p0 * group);
        var local = count == 0 ? [] : sample(prompts.Skip(p0).Take(count).ToList()).Select(s => s with { Group = s.Group + p0 }).ToList();
        rng.SetState(start);
        Skip(rng, (long)prompts.Count * group);

        // 2. scores of this rank's samples, 3. everything to every rank, in rank (= prompt) order
        var (localOutcomes, localFailure) = local.Count == 0 ? ([], null) : score(local);
        var parts = DataParallel.World.AllGather(Encode(local, localOutcomes, localFailure));
        var samples = new List<RolloutSample>(prompts.Count * group);
        var scores = new List<RewardOutcome>(prompts.Count * group);
        string? firstFailure = null;
        int localStart = 0;
        for (int r = 0; r < parts.Length; r++)
        {
            if (r == DataParallel.World.Rank) localStart = samples.Count;
            firstFailure ??= Decode(parts[r], prompts, samples, scores);
        }
        return new Result(samples, [.. scores], firstFailure, localStart, local.Count);
    }

    /// <summary>
    /// Every rank's <paramref name="local"/> values (e.g. a second score of its shard's samples), concatenated in
    /// rank (= prompt) order; one process: <paramref name="local"/>.
    /// </summary>
    public static float[] Gather(float[] local)
    {
        ArgumentNullException.ThrowIfNull(local);
        if (!DataParallel.IsDistributed) return local;
        var parts = DataParallel.World.AllGather(System.Runtime.InteropServices.MemoryMarshal.AsBytes(local.AsSpan()));
        return [.. parts.SelectMany(p => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(p).ToArray())];
    }

    internal static void Skip(Rng rng, long draws)
    {
        for (long i = 0; i < draws; i++) rng.NextUInt64();
    }

    private static byte[] Encode(List<RolloutSample> samples, RewardOutcome[] outcomes, string? failure)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(failure is not null);
            if (failure is not null) w.Write(failure);
            w.Write(samples.Count);
            for (int i = 0; i < samples.Count; i++)
            {
                var s = samples[i];
                w.Write(s.Group);
                WriteInts(w, s.PromptIds);
                WriteInts(w, s.CompletionIds);
                w.Write(s.OldLogProbs.Length);
                foreach (float x in s.OldLogProbs) w.Write(x);
                w.Write(s.CompletionText);
                w.Write(s.Finished);
                var o = outcomes[i];
                w.Write(o.Reward);
                w.Write(o.Spread.HasValue);
                if (o.Spread is { } spread) w.Write(spread);
                w.Write(o.Note is not null);
                if (o.Note is not null) w.Write(o.Note);
            }
        }
        return stream.ToArray();
    }

    private static string? Decode(byte[] bytes, IReadOnlyList<RlPrompt> prompts, List<RolloutSample> samples, List<RewardOutcome> outcomes)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        string? failure = r.ReadBoolean() ? r.ReadString() : null;
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++)
        {
            int g = r.ReadInt32();
            int[] promptIds = ReadInts(r), completion = ReadInts(r);
            var logProbs = new float[r.ReadInt32()];
            for (int j = 0; j < logProbs.Length; j++) logProbs[j] = r.ReadSingle();
            string text = r.ReadString();
            bool finished = r.ReadBoolean();
            float reward = r.ReadSingle();
            float? spread = r.ReadBoolean() ? r.ReadSingle() : null;
            string? note = r.ReadBoolean() ? r.ReadString() : null;
            samples.Add(new RolloutSample(g, prompts[g], promptIds, completion, logProbs, text, finished));
            outcomes.Add(new RewardOutcome(reward, spread, note));
        }
        return failure;
    }

    internal static void WriteInts(BinaryWriter w, int[] values)
    {
        w.Write(values.Length);
        foreach (int v in values) w.Write(v);
    }

    internal static int[] ReadInts(BinaryReader r)
    {
        var values = new int[r.ReadInt32()];
        for (int i = 0; i < values.Length; i++) values[i] = r.ReadInt32();
        return values;
    }
}
