namespace Rlhf.Tensors.Autograd;

/// <summary>
/// Recycles the gradient buffers of interior graph nodes. A training step allocates one gradient per activation
/// (hundreds of MB for a small GPT); fresh large arrays cost page faults and zeroing every step, so buffers freed by
/// <see cref="Tensor.Backward"/> come back here and the next step's <see cref="Tensor.GradBuffer"/> reuses them.
/// Only interior gradients are recycled: they are created by the engine and dropped by it, and backward closures
/// must not keep the gradient they are given. Leaf gradients (parameters) stay with their tensors.
/// Buffers are matched by exact length; the pool keeps at most <see cref="MaxBytes"/>.
/// </summary>
internal static class GradientPool
{
    private static readonly Dictionary<int, Stack<float[]>> Free = [];
    private static long _bytes;

    /// <summary>Bytes held by idle buffers now.</summary>
    public static long IdleBytes
    {
        get { lock (Free) return _bytes; }
    }

    /// <summary>Upper bound on memory held by idle buffers.</summary>
    public const long MaxBytes = 2L << 30;

    /// <summary>A buffer of exactly <paramref name="length"/> floats, zero-filled when <paramref name="zeroed"/>.</summary>
    public static float[] Rent(int length, bool zeroed)
    {
        if (length >= 1024)
        {
            lock (Free)
            {
                if (Free.TryGetValue(length, out var stack) && stack.Count > 0)
                {
                    var buffer = stack.Pop();
                    _bytes -= (long)length * sizeof(float);
                    if (zeroed) Array.Clear(buffer);
                    return buffer;
                }
            }
        }
        return zeroed ? new float[length] : GC.AllocateUninitializedArray<float>(length);
    }

    /// <summary>Hands a buffer back (small buffers are left to the GC).</summary>
    public static void Return(float[] buffer)
    {
        if (buffer.Length < 1024) return;
        lock (Free)
        {
            if (_bytes + (long)buffer.Length * sizeof(float) > MaxBytes) return;
            if (!Free.TryGetValue(buffer.Length, out var stack)) Free[buffer.Length] = stack = new Stack<float[]>();
            stack.Push(buffer);
            _bytes += (long)buffer.Length * sizeof(float);
        }
    }
}
