using System.Buffers;
using System.Numerics.Tensors;
using System.Runtime.Intrinsics;

namespace Rlhf.Tensors.Kernels;

/// <summary>
/// Fused causal multi-head scaled dot-product attention over a GPT-2 style fused projection
/// qkv (B, T, 3C): columns [0, C) are q, [C, 2C) k, [2C, 3C) v; head h uses columns h·hs .. (h+1)·hs of each
/// (hs = C / nHead). q, k and v are addressed in place with leading dimension 3C — no split, no copies.
/// <para>
/// For each (batch, head): S = q·kᵀ/√hs, keys j &gt; i (future) and keys with keyMask[b, j] = false get −∞,
/// P = softmax_row(S), out = P·v, written at columns h·hs of out (B, T, C) (heads concatenated, ready for c_proj).
/// A query whose keys are all masked gets P = 0 and out = 0 (no NaN). QKᵀ, P·V and the backward products run on the
/// packed <see cref="Gemm"/> in 48-row blocks restricted to the causal prefix (a block of query rows [i0, i1) only
/// needs keys [0, i1)), so about half of the T×T work is skipped.
/// </para>
/// <para>
/// (batch, head) pairs run in parallel; each is computed by one thread in a fixed order and
/// <see cref="Gemm"/> is deterministic, so results are bit-identical run to run and for any thread count.
/// Scalar oracle: <see cref="AttentionReference"/>.
/// </para>
/// <para>
/// Incremental decoding (KV cache): keep the k and v rows of past positions per layer in a cache
/// (rows of C floats, or just the k/v column blocks of the qkv rows), append the new rows' k, v, then call
/// <see cref="Decode"/> for the new query rows — it attends query i (absolute position start + i) to cached keys
/// 0 .. start + i. Forward over a prompt followed by Decode on later tokens equals Forward over the full sequence
/// up to float rounding (Decode sums in a different order).
/// </para>
/// </summary>
public static unsafe class AttentionKernel
{
    /// <summary>
    /// Query rows per GEMM block (a multiple of the 6-row micro-tile). Smaller blocks skip more of the masked upper
    /// triangle, larger ones pay the per-call packing less often: 48 measured best at T = 128, 96 at T = 256.
    /// </summary>
    private static int Block(int T) => T >= 192 ? 96 : 48;

    /// <summary>
    /// out (B, T, C) = causal attention of <paramref name="qkv"/> (B, T, 3C). <paramref name="probs"/> is either
    /// empty (not kept) or (B, nHead, T, T) and receives P (zeros above the diagonal and for masked keys), which
    /// <see cref="Backward"/> needs. <paramref name="keyMask"/> is empty (no padding) or (B, T), true = real key.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> qkv, Span<float> output, Span<float> probs, int batch, int T, int C, int nHead,
        ReadOnlySpan<bool> keyMask)
    {
        Validate(qkv.Length, output.Length, batch, T, C, nHead);
        if (!probs.IsEmpty && probs.Length != (long)batch * nHead * T * T)
            throw new ArgumentException($"AttentionKernel: probs has {probs.Length} elements, expected (B, nHead, T, T) = {(long)batch * nHead * T * T}", nameof(probs));
        if (!keyMask.IsEmpty && keyMask.Length != batch * T)
            throw new ArgumentException($"AttentionKernel: keyMask has {keyMask.Length} elements, expected (B, T) = {batch * T}", nameof(keyMask));
        if (batch == 0 || T == 0 || C == 0) return;
        fixed (float* pqkv = qkv)
        fixed (float* pout = output)
        fixed (float* pp = probs)
        fixed (bool* pm = keyMask)
        {
            var job = new Job(pqkv, pout, pp, pm, null, null, T, C, nHead);
            Run(batch * nHead, (long)T * T * (C / nHead), job.Forward);
        }
    }

    /// <summary>
    /// d(qkv) += gradient of <see cref="Forward"/> given dOut (B, T, C) and the saved <paramref name="probs"/>
    /// (B, nHead, T, T). With dS = P ⊙ (dP − rowsum(dP ⊙ P))/√hs and dP = dOut·vᵀ: dq += dS·k, dk += dSᵀ·q, dv += Pᵀ·dOut.
    /// Masking is already baked into P.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> qkv, ReadOnlySpan<float> probs, ReadOnlySpan<float> dOutput, Span<float> dQkv,
        int batch, int T, int C, int nHead)
    {
        Validate(qkv.Length, dOutput.Length, batch, T, C, nHead);
        if (dQkv.Length != qkv.Length || probs.Length != (long)batch * nHead * T * T)
            throw new ArgumentException($"AttentionKernel.Backward: dQkv has {dQkv.Length} elements (expected {qkv.Length}), probs {probs.Length} (expected {(long)batch * nHead * T * T})");
        if (batch == 0 || T == 0 || C == 0) return;
        fixed (float* pqkv = qkv)
        fixed (float* pp = probs)
        fixed (float* pdo = dOutput)
        fixed (float* pdq = dQkv)
        {
            var job = new Job(pqkv, null, pp, null, pdo, pdq, T, C, nHead);
            Run(batch * nHead, 3L * T * T * (C / nHead), job.Backward);
        }
    }

    private static void Run(int pairs, long workPerPair, Action<int> body)
    {
        if (pairs > 1 && pairs * workPerPair >= RowPartition.MinParallelWork) WorkerPool.Run(pairs, body);
        else for (int p = 0; p < pairs; p++) body(p);
    }

    private static void Validate(int qkvLength, int outLength, int batch, int T, int C, int nHead)
    {
        if (batch < 0 || T < 0 || C < 0 || nHead <= 0 || C % nHead != 0)
            throw new ArgumentException($"AttentionKernel: invalid sizes B={batch}, T={T}, C={C}, nHead={nHead} (C must be a multiple of nHead)");
        if (qkvLength != (long)batch * T * 3 * C || outLength != (long)batch * T * C)
            throw new ArgumentException($"AttentionKernel: qkv has {qkvLength} elements (expected B·T·3C = {(long)batch * T * 3 * C}), output {outLength} (expected B·T·C = {(long)batch * T * C})");
    }

    /// <summary>Pointers and sizes shared by the per-(batch, head) tasks (spans cannot be captured by lambdas).</summary>
    private readonly struct Job(float* qkv, float* output, float* probs, bool* keyMask, float* dOutput, float* dQkv, int T, int C, int nHead)
    {
        private int Hs => C / nHead;

        public void Forward(int pair)
        {
            int b = pair / nHead, h = pair % nHead, ld = 3 * C, hs = Hs;
            long qOff = (long)b * T * ld + h * hs;
            int span = (T - 1) * ld + hs;
            var q = new ReadOnlySpan<float>(qkv + qOff, span);
            var k = new ReadOnlySpan<float>(qkv + qOff + C, span);
            var v = new ReadOnlySpan<float>(qkv + qOff + 2 * C, span);
            var o = new Span<float>(output + (long)b * T * C + h * hs, (T - 1) * C + hs);
            var mask = keyMask == null ? ReadOnlySpan<bool>.Empty : new ReadOnlySpan<bool>(keyMask + (long)b * T, T);
            if (probs != null)
            {
                ForwardHead(q, k, v, ld, T, hs, mask, new Span<float>(probs + (long)pair * T * T, T * T), o, C);
                return;
            }
            var scratch = ArrayPool<float>.Shared.Rent(T * T);
            ForwardHead(q, k, v, ld, T, hs, mask, scratch.AsSpan(0, T * T), o, C);
            ArrayPool<float>.Shared.Return(scratch);
        }

        public void Backward(int pair)
        {
            int b = pair / nHead, h = pair % nHead, ld = 3 * C, hs = Hs;
            long qOff = (long)b * T * ld + h * hs;
            int span = (T - 1) * ld + hs;
            var scratch = ArrayPool<float>.Shared.Rent(T * T);
            BackwardHead(
                new ReadOnlySpan<float>(qkv + qOff, span), new ReadOnlySpan<float>(qkv + qOff + C, span),
                new ReadOnlySpan<float>(qkv + qOff + 2 * C, span), ld, T, hs,
                new ReadOnlySpan<float>(probs + (long)pair * T * T, T * T),
                new ReadOnlySpan<float>(dOutput + (long)b * T * C + h * hs, (T - 1) * C + hs), C,
                new Span<float>(dQkv + qOff, span), new Span<float>(dQkv + qOff + C, span), new Span<float>(dQkv + qOff + 2 * C, span),
                scratch.AsSpan(0, T * T));
            ArrayPool<float>.Shared.Return(scratch);
        }
    }

    /// <summary>
    /// One (batch, head): q, k, v are T×hs with row stride <paramref name="ld"/>; P (T×T) receives the probabilities;
    /// o (T×hs, row stride <paramref name="ldo"/>) is overwritten with P·v.
    /// </summary>
    private static void ForwardHead(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int ld, int T, int hs,
        ReadOnlySpan<bool> mask, Span<float> P, Span<float> o, int ldo)
    {
        float scale = 1f / MathF.Sqrt(hs);
        for (int i0 = 0; i0 < T; i0 += Block(T))
        {
            int i1 = Math.Min(T, i0 + Block(T)), m = i1 - i0;
            // S[i0:i1, 0:i1] = q[i0:i1]·k[0:i1]ᵀ (raw scores; the 1/√hs scale is folded into the exp below)
            Gemm.Multiply(false, true, m, i1, hs, q.Slice(i0 * ld), ld, k, ld, P.Slice(i0 * T), T, accumulate: false);
            for (int i = i0; i < i1; i++)
            {
                var row = P.Slice(i * T, i + 1); // keys 0..i
                if (!mask.IsEmpty)
                    for (int j = 0; j <= i; j++) if (!mask[j]) row[j] = float.NegativeInfinity;
                float max = SoftmaxKernel.Max(row);
                if (float.IsNegativeInfinity(max)) row.Clear(); // every key masked: P = 0, output 0
                else
                {
                    float sum = SoftmaxKernel.ExpStore(row, scale, scale * max, row, FastExp.Prefer512);
                    TensorPrimitives.Multiply(row, 1f / sum, row);
                }
                P.Slice(i * T + i + 1, T - i - 1).Clear(); // future keys
            }
            // out[i0:i1] = P[i0:i1, 0:i1]·v[0:i1]
            Gemm.Multiply(false, false, m, hs, i1, P.Slice(i0 * T), T, v, ld, o.Slice(i0 * ldo), ldo, accumulate: false);
        }
    }

    /// <summary>One (batch, head) of <see cref="Backward"/>; dq, dk, dv (row stride <paramref name="ld"/>) are accumulated.</summary>
    private static void BackwardHead(ReadOnlySpan<float> q, ReadOnlySpan<float> k, ReadOnlySpan<float> v, int ld, int T, int hs,
        ReadOnlySpan<float> P, ReadOnlySpan<float> dO, int ldo, Span<float> dq, Span<float> dk, Span<float> dv, Span<float> dS)
    {
        float scale = 1f / MathF.Sqrt(hs);
        for (int i0 = 0; i0 < T; i0 += Block(T))
        {
            int i1 = Math.Min(T, i0 + Block(T)), m = i1 - i0;
            // dP[i0:i1, 0:i1] = dO[i0:i1]·v[0:i1]ᵀ
            Gemm.Multiply(false, true, m, i1, hs, dO.Slice(i0 * ldo), ldo, v, ld, dS.Slice(i0 * T), T, accumulate: false);
            for (int i = i0; i < i1; i++)
            {
                // softmax backward on the causal prefix, scale folded in: dS = P ⊙ (dP − Σ dP·P) / √hs
                var p = P.Slice(i * T, i + 1);
                var d = dS.Slice(i * T, i + 1);
                float c = TensorPrimitives.Dot(d, p);
                TensorPrimitives.AddMultiply(d, -c, p, d);
                TensorPrimitives.Multiply(d, scale, d);
                dS.Slice(i * T + i + 1, i1 - i - 1).Clear(); // future keys inside this block
            }
            // dq[i0:i1] += dS[i0:i1, 0:i1]·k[0:i1]
            Gemm.Multiply(false, false, m, hs, i1, dS.Slice(i0 * T), T, k, ld, dq.Slice(i0 * ld), ld, accumulate: true);
        }
        for (int j0 = 0; j0 < T; j0 += Block(T))
        {
            // keys [j0, j1) receive gradient from queries i ≥ j0 only (causal)
            int j1 = Math.Min(T, j0 + Block(T)), m = j1 - j0, rest = T - j0;
            // dk[j0:j1] += dS[j0:T, j0:j1]ᵀ·q[j0:T]
            Gemm.Multiply(true, false, m, hs, rest, dS.Slice(j0 * T + j0), T, q.Slice(j0 * ld), ld, dk.Slice(j0 * ld), ld, accumulate: true);
            // dv[j0:j1] += P[j0:T, j0:j1]ᵀ·dO[j0:T]
            Gemm.Multiply(true, false, m, hs, rest, P.Slice(j0 * T + j0), T, dO.Slice(j0 * ldo), ldo, dv.Slice(j0 * ld), ld, accumulate: true);
        }
    }

    /// <summary>
    /// KV-cache decoding for one sequence: <paramref name="nNew"/> query rows at absolute positions
    /// <paramref name="start"/> .. start + nNew − 1 attend causally to cached keys/values rows 0 .. start + nNew − 1
    /// (the new rows' own k and v must already be in the cache). q rows have stride <paramref name="ldq"/>, cache
    /// rows stride <paramref name="ldkv"/>; head h uses columns h·headSize of each (e.g. pass the q, k, v column blocks
    /// of qkv rows with ld = 3C, or separate (L, C) k/v caches with ld = C). <paramref name="keyMask"/> is empty or
    /// covers the cache rows (true = real key). output rows (stride <paramref name="ldo"/>, C = nHead·headSize
    /// columns) are overwritten; an all-masked query gives 0.
    /// </summary>
    public static void Decode(ReadOnlySpan<float> q, int ldq, ReadOnlySpan<float> kCache, ReadOnlySpan<float> vCache, int ldkv,
        int start, int nNew, int nHead, int headSize, ReadOnlySpan<bool> keyMask, Span<float> output, int ldo)
    {
        int keys = start + nNew, C = nHead * headSize;
        if (start < 0 || nNew < 0 || nHead <= 0 || headSize <= 0 || ldq < C || ldkv < C || ldo < C)
            throw new ArgumentException($"AttentionKernel.Decode: invalid sizes start={start}, nNew={nNew}, nHead={nHead}, headSize={headSize}, ldq={ldq}, ldkv={ldkv}, ldo={ldo}");
        if (nNew == 0) return;
        if (q.Length < (nNew - 1) * ldq + C || kCache.Length < (keys - 1) * ldkv + C || vCache.Length < (keys - 1) * ldkv + C
            || output.Length < (nNew - 1) * ldo + C || (!keyMask.IsEmpty && keyMask.Length < keys))
            throw new ArgumentException($"AttentionKernel.Decode: buffers too small for {nNew} queries against {keys} cached keys (C = {C})");
        float scale = 1f / MathF.Sqrt(headSize);
        var rented = ArrayPool<float>.Shared.Rent(keys);
        var s = rented.AsSpan(0, keys);
        fixed (float* pq = q)
        fixed (float* pk = kCache)
        fixed (float* pv = vCache)
        fixed (float* po = output)
        fixed (float* ps = s)
        {
            for (int i = 0; i < nNew; i++)
            {
                int n = start + i + 1; // keys visible to this query
                for (int h = 0; h < nHead; h++)
                {
                    float* qi = pq + (long)i * ldq + h * headSize;
                    float* oi = po + (long)i * ldo + h * headSize;
                    // scores s_j = q·k_j for visible, unmasked keys (inline dots: one call per key costs more than the math)
                    for (int j = 0; j < n; j++)
                        ps[j] = keyMask.IsEmpty || keyMask[j] ? DotInline(qi, pk + (long)j * ldkv + h * headSize, headSize) : float.NegativeInfinity;
                    var row = s[..n];
                    float max = SoftmaxKernel.Max(row);
                    if (float.IsNegativeInfinity(max))
                    {
                        new Span<float>(oi, headSize).Clear();
                        continue;
                    }
                    float inv = 1f / SoftmaxKernel.ExpStore(row, scale, scale * max, row, FastExp.Prefer512);
                    WeightedSumInline(ps, n, inv, pv + h * headSize, ldkv, oi, headSize);
                }
            }
        }
        ArrayPool<float>.Shared.Return(rented);
    }

    /// <summary>Σ_p a[p]·b[p] with 8-lane vectors (scalar tail).</summary>
    private static float DotInline(float* a, float* b, int n)
    {
        int p = 0;
        float sum = 0f;
        if (Vector256.IsHardwareAccelerated && n >= 8)
        {
            var acc = Vector256<float>.Zero;
            for (; p + 8 <= n; p += 8) acc = Vector256.FusedMultiplyAdd(Vector256.Load(a + p), Vector256.Load(b + p), acc);
            sum = Vector256.Sum(acc);
        }
        for (; p < n; p++) sum = MathF.FusedMultiplyAdd(a[p], b[p], sum);
        return sum;
    }

    /// <summary>out[c] = scale · Σ_j w[j]·v[j·ldv + c] for c &lt; width (keys with w = 0 skipped), 8 columns per register.</summary>
    private static void WeightedSumInline(float* w, int n, float scale, float* v, int ldv, float* output, int width)
    {
        int c = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            for (; c + 8 <= width; c += 8)
            {
                var acc = Vector256<float>.Zero;
                for (int j = 0; j < n; j++)
                    if (w[j] != 0f) acc = Vector256.FusedMultiplyAdd(Vector256.Create(w[j]), Vector256.Load(v + (long)j * ldv + c), acc);
                (acc * scale).Store(output + c);
            }
        }
        for (; c < width; c++)
        {
            float acc = 0f;
            for (int j = 0; j < n; j++) if (w[j] != 0f) acc = MathF.FusedMultiplyAdd(w[j], v[(long)j * ldv + c], acc);
            output[c] = acc * scale;
        }
    }
}
