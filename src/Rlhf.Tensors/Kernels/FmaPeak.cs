using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Rlhf.Tensors.Kernels;

/// <summary>Result of <see cref="FmaPeak.Measure"/>.</summary>
/// <param name="Gflops">All threads together: total flops / wall seconds / 1e9.</param>
/// <param name="GflopsPerCore"><paramref name="Gflops"/> / <paramref name="Cores"/>.</param>
/// <param name="Width">Vector width in bits: 512, 256, or 32 (scalar).</param>
/// <param name="Cores">Threads run at once (one per core).</param>
/// <param name="Iterations">Loop iterations summed over threads; each does <see cref="FmaPeak.FlopsPerIteration"/> flops.</param>
/// <param name="Seconds">Wall time from the common start to the last thread's stop.</param>
public sealed record FmaPeakResult(double Gflops, double GflopsPerCore, int Width, int Cores, long Iterations, double Seconds);

/// <summary>
/// Measures this machine's own fused-multiply-add limit, the ceiling any fp32 GEMM can reach: every thread spins a
/// register-only loop of <see cref="Accumulators"/> independent FMA chains (acc = acc·m + b), no memory traffic.
/// Twelve chains cover FMA latency × throughput (4 cycles × 2 ports = 8 in flight) on current x86 cores.
/// <para>
/// One FMA on a W-bit vector counts as 2·W/32 flops, so one loop iteration is
/// <see cref="FlopsPerIteration"/>(W) = 12 · 2 · W/32 flops. Width: Vector512 when hardware accelerated, else
/// Vector256 with FMA, else scalar float (a·b+c, which the JIT may or may not fuse). Not supported: Arm NEON
/// (falls to Vector256 emulation or scalar, so the number would understate an Arm core).
/// </para>
/// <para>
/// The result is the rate actually obtained: on a machine shared with other work, or with turbo/thermal effects,
/// it is what GEMM can hope for under the same conditions, which is why benchmarks measure it in the same run.
/// </para>
/// </summary>
public static class FmaPeak
{
    /// <summary>Independent FMA chains per loop iteration.</summary>
    public const int Accumulators = 12;

    // iterations between clock reads: ~4K iterations ≈ 25K cycles, so the timestamp read costs < 0.1 %
    private const long Chunk = 4096;

    private static float s_sink; // results land here so the JIT cannot drop the loops

    /// <summary>The widest FMA width (bits) this CPU runs natively: 512, 256, or 32 (scalar).</summary>
    public static int NativeWidth { get; } =
        Vector512.IsHardwareAccelerated ? 512
        : Vector256.IsHardwareAccelerated && Fma.IsSupported ? 256
        : 32;

    /// <summary>Flops of one loop iteration at <paramref name="width"/> bits: Accumulators · 2 · width/32.</summary>
    public static long FlopsPerIteration(int width) => width switch
    {
        512 or 256 or 32 => Accumulators * 2L * (width / 32),
        _ => throw new ArgumentOutOfRangeException(nameof(width), $"FmaPeak: width {width} is not one of 512, 256, 32"),
    };

    /// <summary>GFLOP/s = iterations · FlopsPerIteration(width) / seconds / 1e9.</summary>
    public static double Gflops(long iterations, int width, double seconds) =>
        iterations * (double)FlopsPerIteration(width) / seconds / 1e9;

    /// <summary>
    /// Runs the FMA loop on <paramref name="threads"/> threads (default: one per logical core), all released at the
    /// same instant, for <paramref name="duration"/>; returns total and per-core GFLOP/s.
    /// </summary>
    public static FmaPeakResult Measure(TimeSpan duration, int threads = 0, int width = 0)
    {
        if (threads <= 0) threads = Environment.ProcessorCount;
        if (width == 0) width = NativeWidth;
        FlopsPerIteration(width); // validates width
        if (duration <= TimeSpan.Zero) throw new ArgumentOutOfRangeException(nameof(duration), $"FmaPeak: duration {duration} must be positive");

        Spin(width, 16, 1f, 1f); // JIT the loop before the clock starts
        var iterations = new long[threads];
        var stops = new long[threads];
        long start = 0, deadline = 0;
        using var go = new ManualResetEventSlim(false);
        using var ready = new CountdownEvent(threads);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            int id = t;
            workers[t] = new Thread(() =>
            {
                ready.Signal();
                go.Wait();
                long end = Volatile.Read(ref deadline), n = 0;
                float sum = 0;
                // multiplier/addend as opaque arguments: m = 1, b = 1 keeps values exact and far from denormals.
                // At least one chunk: a thread the OS schedules only after the deadline (a busy box) still measures
                // something instead of reporting 0 iterations.
                do
                {
                    sum += Spin(width, Chunk, 1f, 1f);
                    n += Chunk;
                }
                while (Stopwatch.GetTimestamp() < end);
                stops[id] = Stopwatch.GetTimestamp();
                iterations[id] = n;
                Volatile.Write(ref s_sink, s_sink + sum);
            }) { IsBackground = true, Name = $"fma-peak-{t}" };
            workers[t].Start();
        }
        ready.Wait();
        start = Stopwatch.GetTimestamp();
        Volatile.Write(ref deadline, start + (long)(duration.TotalSeconds * Stopwatch.Frequency));
        go.Set();
        foreach (var w in workers) w.Join();

        long total = iterations.Sum();
        double seconds = (stops.Max() - start) / (double)Stopwatch.Frequency;
        double gflops = Gflops(total, width, seconds);
        return new FmaPeakResult(gflops, gflops / threads, width, threads, total, seconds);
    }

    /// <summary>Runs <paramref name="iterations"/> loop iterations at <paramref name="width"/> bits; returns Σ of all accumulator lanes.</summary>
    internal static float Spin(int width, long iterations, float m, float b) => width switch
    {
        512 => Spin512(iterations, m, b),
        256 => Spin256(iterations, m, b),
        _ => SpinScalar(iterations, m, b),
    };

    // Accumulator j starts at j in every lane; after n iterations with m = b = 1 it holds j + n (tests rely on this).
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static float Spin512(long iterations, float m, float b)
    {
        var vm = Vector512.Create(m); var vb = Vector512.Create(b);
        Vector512<float> a0 = Vector512.Create(0f), a1 = Vector512.Create(1f), a2 = Vector512.Create(2f), a3 = Vector512.Create(3f),
            a4 = Vector512.Create(4f), a5 = Vector512.Create(5f), a6 = Vector512.Create(6f), a7 = Vector512.Create(7f),
            a8 = Vector512.Create(8f), a9 = Vector512.Create(9f), a10 = Vector512.Create(10f), a11 = Vector512.Create(11f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, vm, vb); a1 = Vector512.FusedMultiplyAdd(a1, vm, vb);
            a2 = Vector512.FusedMultiplyAdd(a2, vm, vb); a3 = Vector512.FusedMultiplyAdd(a3, vm, vb);
            a4 = Vector512.FusedMultiplyAdd(a4, vm, vb); a5 = Vector512.FusedMultiplyAdd(a5, vm, vb);
            a6 = Vector512.FusedMultiplyAdd(a6, vm, vb); a7 = Vector512.FusedMultiplyAdd(a7, vm, vb);
            a8 = Vector512.FusedMultiplyAdd(a8, vm, vb); a9 = Vector512.FusedMultiplyAdd(a9, vm, vb);
            a10 = Vector512.FusedMultiplyAdd(a10, vm, vb); a11 = Vector512.FusedMultiplyAdd(a11, vm, vb);
        }
        return Vector512.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static float Spin256(long iterations, float m, float b)
    {
        var vm = Vector256.Create(m); var vb = Vector256.Create(b);
        Vector256<float> a0 = Vector256.Create(0f), a1 = Vector256.Create(1f), a2 = Vector256.Create(2f), a3 = Vector256.Create(3f),
            a4 = Vector256.Create(4f), a5 = Vector256.Create(5f), a6 = Vector256.Create(6f), a7 = Vector256.Create(7f),
            a8 = Vector256.Create(8f), a9 = Vector256.Create(9f), a10 = Vector256.Create(10f), a11 = Vector256.Create(11f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, vm, vb); a1 = Vector256.FusedMultiplyAdd(a1, vm, vb);
            a2 = Vector256.FusedMultiplyAdd(a2, vm, vb); a3 = Vector256.FusedMultiplyAdd(a3, vm, vb);
            a4 = Vector256.FusedMultiplyAdd(a4, vm, vb); a5 = Vector256.FusedMultiplyAdd(a5, vm, vb);
            a6 = Vector256.FusedMultiplyAdd(a6, vm, vb); a7 = Vector256.FusedMultiplyAdd(a7, vm, vb);
            a8 = Vector256.FusedMultiplyAdd(a8, vm, vb); a9 = Vector256.FusedMultiplyAdd(a9, vm, vb);
            a10 = Vector256.FusedMultiplyAdd(a10, vm, vb); a11 = Vector256.FusedMultiplyAdd(a11, vm, vb);
        }
        return Vector256.Sum(((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11)));
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    internal static float SpinScalar(long iterations, float m, float b)
    {
        float a0 = 0, a1 = 1, a2 = 2, a3 = 3, a4 = 4, a5 = 5, a6 = 6, a7 = 7, a8 = 8, a9 = 9, a10 = 10, a11 = 11;
        for (long i = 0; i < iterations; i++)
        {
            a0 = a0 * m + b; a1 = a1 * m + b; a2 = a2 * m + b; a3 = a3 * m + b;
            a4 = a4 * m + b; a5 = a5 * m + b; a6 = a6 * m + b; a7 = a7 * m + b;
            a8 = a8 * m + b; a9 = a9 * m + b; a10 = a10 * m + b; a11 = a11 * m + b;
        }
        return ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
    }
}
