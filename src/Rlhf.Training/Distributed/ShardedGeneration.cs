using System.Text;
using Rlhf.Models;
using Rlhf.Models.Generation;
using Rlhf.Tensors;

namespace Rlhf.Training.Distributed;

/// <summary>
/// Plain sampling (<c>rlhf generate</c>) sharded across the ranks of an <c>mpiexec</c> run, with the one-process
/// output. The rows are cut into batches of <c>batch</c> rows exactly as one process cuts them; each rank generates
/// a contiguous shard of those batches (<see cref="DataParallel.ShardOf(int)"/>) and every rank receives all results
/// (one MPI_Allgatherv), in row order.
/// <para>
/// <b>Same samples as one process.</b> <see cref="Generator"/> draws one value of the run's generator per row, in row
/// order, and seeds that row's sampling with it. A rank whose first batch starts at row r₀ skips r₀ draws, samples
/// its batches, and then sets the generator to where one process leaves it (all rows' draws past the start). Every
/// batch holds the same rows, padded alike, as in one process, so each row's computation and tokens are the same
/// (see <see cref="RolloutShards"/>, which shards RL rollouts by prompt the same way).
/// </para>
/// </summary>
public static class ShardedGeneration
{
    /// <summary>
    /// Completions of <paramref name="rows"/> (token ids) in batches of <paramref name="batch"/> rows, in row order;
    /// one process: exactly <see cref="Generator.Generate"/> batch after batch.
    /// </summary>
    public static List<GenerationResult> Generate(ICausalLm model, IReadOnlyList<int[]> rows, int endOfTextId, GenerationConfig config, Rng rng, int batch)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        int batches = (rows.Count + batch - 1) / batch;
        var (b0, count) = DataParallel.IsDistributed ? DataParallel.ShardOf(batches) : (0, batches);
        int first = b0 * batch, last = Math.Min(rows.Count, (b0 + count) * batch);

        // 1. this rank's batches, sampled with the one-process row seeds
        var start = rng.GetState();
        RolloutShards.Skip(rng, first);
        var local = new List<GenerationResult>(last - first);
        for (int r = first; r < last; r += batch)
            local.AddRange(Generator.Generate(model, rows.Skip(r).Take(Math.Min(batch, last - r)).ToList(), endOfTextId, config, rng));
        if (!DataParallel.IsDistributed) return local;
        rng.SetState(start);
        RolloutShards.Skip(rng, rows.Count);

        // 2. everything to every rank, in rank (= row) order
        var all = new List<GenerationResult>(rows.Count);
        foreach (byte[] part in DataParallel.World.AllGather(Encode(local)))
            Decode(part, all);
        return all;
    }

    private static byte[] Encode(List<GenerationResult> results)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(results.Count);
            foreach (var r in results)
            {
                RolloutShards.WriteInts(w, r.Prompt);
                RolloutShards.WriteInts(w, r.Completion);
                w.Write(r.LogProbs.Length);
                foreach (float x in r.LogProbs) w.Write(x);
                w.Write(r.Finished);
            }
        }
        return stream.ToArray();
    }

    private static void Decode(byte[] bytes, List<GenerationResult> into)
    {
        using var r = new BinaryReader(new MemoryStream(bytes), Encoding.UTF8);
        int n = r.ReadInt32();
        for (int i = 0; i < n; i++)
        {
            int[] prompt = RolloutShards.ReadInts(r), completion = RolloutShards.ReadInts(r);
            var logProbs = new float[r.ReadInt32()];
            for (int j = 0; j < logProbs.Length; j++) logProbs[j] = r.ReadSingle();
            into.Add(new GenerationResult(prompt, completion, logProbs, r.ReadBoolean()));
        }
    }
}
