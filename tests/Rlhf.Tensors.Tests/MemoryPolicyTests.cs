using Rlhf.Tensors;
using Rlhf.Tensors.Autograd;

namespace Rlhf.Tensors.Tests;

/// <summary>Engine memory handling: the collection after backward, recycled parameter gradients.</summary>
public class MemoryPolicyTests
{
    [Fact]
    public void Backward_RunsAFullCollection_OnceEnoughWasAllocated()
    {
        long saved = MemoryPolicy.CollectAfterBytes;
        try
        {
            MemoryPolicy.CollectAfterBytes = 1; // any allocation since the last collection is enough
            var x = GradCheck.Random(1, 1f, 64, 64);
            x.RequiresGrad = true;
            int before = GC.CollectionCount(GC.MaxGeneration);
            Ops.Sum(Ops.Gelu(x)).Backward();
            Assert.True(GC.CollectionCount(GC.MaxGeneration) > before, "no gen-2 collection after backward");
        }
        finally
        {
            MemoryPolicy.CollectAfterBytes = saved;
        }
    }

    [Fact]
    public void ZeroGrad_RecyclesOnlyGradientsTheEngineMade()
    {
        // a gradient assigned from outside belongs to its maker: ZeroGrad must not hand it to the pool, where the next
        // backward (of a tensor of the same size) would write into it
        const int n = 4099; // an odd size no other test uses
        var external = Tensor.Full(7f, n);
        var owner = Tensor.Zeros(n);
        owner.RequiresGrad = true;
        owner.Grad = external;
        owner.ZeroGrad();
        Assert.Null(owner.Grad);
        var y = Tensor.Zeros(n);
        y.RequiresGrad = true;
        Ops.Sum(y * 2f).Backward(); // interior gradient of length n, and y's own
        Assert.All(external.ToArray(), v => Assert.Equal(7f, v));
        Assert.All(y.Grad!.ToArray(), v => Assert.Equal(2f, v));

        // an engine-made gradient is recycled: after ZeroGrad the next step still gets correct (fresh) values
        y.ZeroGrad();
        Ops.Sum(y * 3f).Backward();
        Assert.All(y.Grad!.ToArray(), v => Assert.Equal(3f, v));
    }
}
