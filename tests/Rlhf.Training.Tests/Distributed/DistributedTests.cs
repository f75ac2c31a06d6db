using Rlhf.Tensors;
using Rlhf.Tensors.Kernels;
using Rlhf.Training.Distributed;

namespace Rlhf.Training.Tests.Distributed;

/// <summary>
/// The single-process pieces of data parallelism: shards, the thread budget, the launch environment, and the gradient
/// exchange's packing against a stand-in peer. The collectives themselves run under mpiexec in
/// tests/Rlhf.Cli.Tests/Mpi.
/// </summary>
public sealed class DistributedTests
{
    [Theory]
    [InlineData(10, 3)]
    [InlineData(3, 4)]
    [InlineData(0, 2)]
    [InlineData(7, 1)]
    public void Shards_AreContiguous_CoverEveryItemOnce_AndDifferByAtMostOne(int count, int size)
    {
        int next = 0;
        var sizes = new List<int>();
        for (int r = 0; r < size; r++)
        {
            var (start, n) = DataParallel.ShardOf(count, r, size);
            Assert.Equal(next, start);
            next += n;
            sizes.Add(n);
        }
        Assert.Equal(count, next);
        Assert.True(sizes.Max() - sizes.Min() <= 1);
    }

    [Fact]
    public void OneProcess_TakesTheWholeBatch_AndSetsNoShare()
    {
        Assert.False(DataParallel.IsDistributed);
        Assert.Equal((0, 5), DataParallel.TakeShard(5));
        Assert.Null(DataParallel.LocalShare);
    }

    [Fact]
    public void ThreadBudget_SplitsTheCoresAmongTheLocalRanks_UnlessSetExplicitly()
    {
        Assert.Equal(8, ThreadBudget.FromEnvironment(_ => null, 8));
        Assert.Equal(4, ThreadBudget.FromEnvironment(n => n == "MPI_LOCALNRANKS" ? "2" : null, 8));
        Assert.Equal(1, ThreadBudget.FromEnvironment(n => n == "MPI_LOCALNRANKS" ? "4" : null, 2));
        Assert.Equal(3, ThreadBudget.FromEnvironment(n => n switch { "RLHF_THREADS" => "3", "MPI_LOCALNRANKS" => "4", _ => null }, 2));
        Assert.Contains("RLHF_THREADS='x'", Assert.Throws<ArgumentException>(() => ThreadBudget.FromEnvironment(n => n == "RLHF_THREADS" ? "x" : null, 2)).Message);
    }

    [Fact]
    public void LaunchEnvironment_WithoutMpiexec_IsOneProcess_AndBadLaunchesSayWhy()
    {
        Assert.Same(SingleProcessGroup.Instance, LaunchEnvironment.Start(_ => null));
        Assert.Same(SingleProcessGroup.Instance, LaunchEnvironment.Start(n => n == "PMI_SIZE" ? "1" : null));
        var noLibrary = Assert.Throws<DistributedException>(() => LaunchEnvironment.Start(n => n switch
        {
            "PMI_SIZE" => "2", "PMI_RANK" => "0", "RLHF_MPI_LIBRARY" => "/nonexistent/libmpi.so", _ => null,
        }));
        Assert.Contains("no MPI library loads", noLibrary.Message);
        Assert.Contains("/nonexistent/libmpi.so", noLibrary.Message);
        Assert.Contains("apt-get install mpich", noLibrary.Message);
        Assert.Contains("Open MPI", Assert.Throws<DistributedException>(() => LaunchEnvironment.Start(n => n == "OMPI_COMM_WORLD_SIZE" ? "2" : null)).Message);
        Assert.Contains("RLHF_MPI_TIMEOUT='soon'", Assert.Throws<DistributedException>(() => LaunchEnvironment.Timeout(n => n == "RLHF_MPI_TIMEOUT" ? "soon" : null)).Message);
        Assert.Null(LaunchEnvironment.Timeout(n => n == "RLHF_MPI_TIMEOUT" ? "0" : null));
        Assert.Equal(TimeSpan.FromSeconds(LaunchEnvironment.DefaultTimeoutSeconds), LaunchEnvironment.Timeout(_ => null));
    }

    [Fact]
    public void GradientAllReduce_PacksEveryGradientThroughSmallBuckets_AndBack()
    {
        // a peer with the same gradients: Σ_r w_r·g_r with w = ½ each is g again, whatever the bucket boundaries
        var ps = new[] { Param(5, 1f), Param(12, 100f), Param(3, null), Param(1, -7f) };
        var before = ps.Select(p => p.Grad?.ToArray()).ToList();
        GradientAllReduce.Run(new MirrorPeer(peerHasEveryGradient: false), ps, share: 0.5, bucketFloats: 7);
        for (int i = 0; i < ps.Length; i++)
            if (before[i] is { } g) Assert.Equal(g, ps[i].Grad!.ToArray());
            else Assert.Null(ps[i].Grad); // no rank has one
    }

    [Fact]
    public void GradientAllReduce_GivesAGradient_ToAParameterThatOnlyAnotherRankReached()
    {
        var ps = new[] { Param(4, 2f), Param(3, null) };
        GradientAllReduce.Run(new MirrorPeer(peerHasEveryGradient: true), ps, share: 0.25, bucketFloats: 5);
        Assert.Equal([1f, 1.5f, 2f, 2.5f], ps[0].Grad!.ToArray()); // (2 + i)·¼, twice
        Assert.Equal(new float[3], ps[1].Grad!.ToArray());             // this rank's zeros + the mirror's zeros
    }

    private static Tensor Param(int n, float? first)
    {
        var p = Tensor.Zeros(n);
        p.RequiresGrad = true;
        if (first is { } f) p.Grad = Tensor.FromArray(Enumerable.Range(0, n).Select(i => f + i).ToArray(), n);
        return p;
    }

    /// <summary>A stand-in second rank whose gradients equal this one's: a float sum doubles every value.</summary>
    private sealed class MirrorPeer(bool peerHasEveryGradient) : IProcessGroup
    {
        public int Rank => 0;
        public int Size => 2;
        public void AllReduceSum(Span<float> values) { foreach (ref float v in values) v += v; }
        public void AllReduceSum(Span<double> values) { foreach (ref double v in values) v += peerHasEveryGradient ? 1 : v; }
        public byte[][] AllGather(ReadOnlySpan<byte> local) => [local.ToArray(), local.ToArray()];
        public void Broadcast(Span<byte> values, int root = 0) { }
        public void Barrier() { }
        public void Abort(int exitCode, string message) => throw new InvalidOperationException(message);
        public void Dispose() { }
    }
}
