namespace Rlhf.Tensors.Autograd;

/// <summary>
/// When the engine hands memory back to the garbage collector. A training step allocates its activations as large
/// arrays (the GC's large-object heap), which .NET only reclaims in a full (gen 2) collection; left to its own
/// budget the GC lets several steps' dead activations pile up before collecting (measured at GPT-2 124M, batch
/// 4 × 256: a peak resident set of 5.4 GB where the live data is under 3 GB). At the end of
/// <see cref="Tensor.Backward"/> every activation of the step is garbage, so a full blocking collection there
/// (non-compacting: float arrays hold no references, so marking is cheap — milliseconds) frees them before the next
/// forward allocates. It runs only once at least <see cref="CollectAfterBytes"/> were allocated since the previous
/// one, so small models with many short backward passes are not slowed down.
/// </summary>
public static class MemoryPolicy
{
    private static long s_allocatedAtLastCollect;

    /// <summary>
    /// Bytes allocated since the last collection this policy induced that trigger the next one after a backward
    /// pass (default 256 MiB; 0 or less turns the policy off and leaves everything to the GC's own schedule).
    /// </summary>
    public static long CollectAfterBytes { get; set; } = 256L << 20;

    /// <summary>
    /// A point where the large arrays allocated recently are garbage: collects if at least
    /// <see cref="CollectAfterBytes"/> were allocated since the last time. Called by <see cref="Tensor.Backward"/>
    /// once the graph is freed and by <see cref="Ops.Checkpoint"/> after a block's forward without recording (its
    /// activations are dropped at once; without a collection they would still fill the heap, and checkpointing would
    /// save nothing), and by the GPT forward under <see cref="Tensor.NoGrad"/> (scoring, reference log-probs). Other loops
    /// whose work has no backward pass can call it at the end of an iteration.
    /// </summary>
    public static void MaybeCollect()
    {
        if (CollectAfterBytes <= 0) return;
        long allocated = GC.GetTotalAllocatedBytes(precise: false);
        if (allocated - Interlocked.Read(ref s_allocatedAtLastCollect) < CollectAfterBytes) return;
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: false);
        Interlocked.Exchange(ref s_allocatedAtLastCollect, GC.GetTotalAllocatedBytes(precise: false));
    }
}
