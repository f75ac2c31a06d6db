using System.Globalization;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;
using Rlhf.Tensors;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Games;

/// <summary>
/// The policy/value network: an MLP on <see cref="BoardFeatures"/>, x (B, 126) → GELU(x·W1 + b1) → GELU(·W2 + b2) = h
/// (B, H), then two heads as in AlphaGo Zero (Silver et al. 2017): policy logits h·Wp + bp (B, 7) plus the legal
/// mask (masked softmax), and value tanh(h·Wv + bv) (B) ∈ [−1, 1], the expected outcome for the side to move.
/// Saved as safetensors (<c>w1, b1, w2, b2, wp, bp, wv, bv</c>) with the hidden width in the metadata.
/// </summary>
public sealed class PolicyValueNet
{
    private static readonly string[] Names = ["w1", "b1", "w2", "b2", "wp", "bp", "wv", "bv"];
    private readonly Tensor[] _p;

    private PolicyValueNet(int hidden, Tensor[] parameters)
    {
        Hidden = hidden;
        _p = parameters;
        for (int i = 0; i < _p.Length; i++) (_p[i].Name, _p[i].RequiresGrad) = (Names[i], true);
    }

    /// <summary>Hidden width H.</summary>
    public int Hidden { get; }

    /// <summary>The trainable tensors, in a fixed order (optimizer state and checkpoints rely on it).</summary>
    public IReadOnlyList<Tensor> Parameters => _p;

    /// <summary>
    /// A fresh network: weights Normal(0, 1/fan_in) (LeCun), biases 0, the policy head ×0.1 so the first policy is
    /// near uniform over legal moves and the value head ×0.1 so early values are near 0.
    /// </summary>
    public static PolicyValueNet Create(int hidden, Rng rng)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(hidden, 1);
        Tensor W(int fanIn, int fanOut, float gain) => Tensor.Randn(rng, gain / MathF.Sqrt(fanIn), fanIn, fanOut);
        return new PolicyValueNet(hidden,
        [
            W(BoardFeatures.Size, hidden, 1f), Tensor.Zeros(hidden),
            W(hidden, hidden, 1f), Tensor.Zeros(hidden),
            W(hidden, ConnectFour.Columns, 0.1f), Tensor.Zeros(ConnectFour.Columns),
            W(hidden, 1, 0.1f), Tensor.Zeros(1),
        ]);
    }

    /// <summary>
    /// Forward pass (recorded for autograd when enabled). x (B, 126), mask (B, 7) additive →
    /// masked policy logits (B, 7) and values (B).
    /// </summary>
    public (Tensor Logits, Tensor Value) Forward(Tensor x, Tensor mask)
    {
        int b = x.Dim(0);
        var h = Ops.Gelu(Ops.Linear(x, _p[0], _p[1]));          // (B, H)
        h = Ops.Gelu(Ops.Linear(h, _p[2], _p[3]));              // (B, H)
        var logits = Ops.Add(Ops.Linear(h, _p[4], _p[5]), mask); // (B, 7)
        var value = Ops.Reshape(Ops.Tanh(Ops.Linear(h, _p[6], _p[7])), b); // (B)
        return (logits, value);
    }

    /// <summary>
    /// Policy probabilities over the 7 columns (0 for illegal ones) and the value of <paramref name="position"/>, no
    /// autograd: the same function as <see cref="Forward"/> on one position (exact GELU instead of the kernel's fast
    /// exp, so it agrees to ~1e-6), written as plain loops because tree search calls it thousands of times per move
    /// and the input is sparse (a one-hot row of W1 per stone).
    /// </summary>
    public (float[] Probs, float Value) Evaluate(ConnectFour position)
    {
        int h = Hidden, cols = ConnectFour.Columns;
        Span<float> x = stackalloc float[BoardFeatures.Size];
        Span<float> mask = stackalloc float[cols];
        BoardFeatures.Encode(position, x, mask);
        Span<float> h1 = stackalloc float[h];
        Span<float> h2 = stackalloc float[h];
        // 1. h1 = gelu(b1 + Σ_{i: x_i = 1} W1[i, :])
        _p[1].Span.CopyTo(h1);
        var w1 = _p[0].Span;
        for (int i = 0; i < x.Length; i++)
            if (x[i] != 0) TensorPrimitives.MultiplyAdd(w1.Slice(i * h, h), x[i], h1, h1);
        Gelu(h1);
        // 2. h2 = gelu(b2 + h1·W2)
        _p[3].Span.CopyTo(h2);
        var w2 = _p[2].Span;
        for (int i = 0; i < h; i++) TensorPrimitives.MultiplyAdd(w2.Slice(i * h, h), h1[i], h2, h2);
        Gelu(h2);
        // 3. heads: masked softmax of h2·Wp + bp, tanh(h2·Wv + bv)
        var probs = new float[cols];
        var wp = _p[4].Span;
        for (int c = 0; c < cols; c++)
        {
            float acc = _p[5].Span[c] + mask[c];
            for (int i = 0; i < h; i++) acc += h2[i] * wp[i * cols + c];
            probs[c] = acc;
        }
        TensorPrimitives.SoftMax(probs, probs);
        float v = _p[7].Span[0] + TensorPrimitives.Dot(h2, _p[6].Span);
        return (probs, MathF.Tanh(v));
    }

    /// <summary>GPT-2's tanh GELU in place, as x / (1 + exp(−2u)), u = √(2/π)(x + 0.044715x³) (identical to ½x(1 + tanh u)).</summary>
    private static void Gelu(Span<float> v)
    {
        const float k = 0.7978845608028654f;
        for (int i = 0; i < v.Length; i++)
        {
            float x = v[i];
            v[i] = x / (1f + MathF.Exp(-2f * k * (x + 0.044715f * x * x * x)));
        }
    }

    /// <summary>A deep copy (an independent opponent snapshot).</summary>
    public PolicyValueNet Clone() => new(Hidden, [.. _p.Select(t => Tensor.FromArray(t.ToArray(), t.ShapeArray()))]);

    /// <summary>Copies all weights from <paramref name="other"/> (same width) into this network.</summary>
    public void CopyFrom(PolicyValueNet other)
    {
        if (other.Hidden != Hidden) throw new ArgumentException($"cannot copy a hidden-{other.Hidden} network into a hidden-{Hidden} one");
        for (int i = 0; i < _p.Length; i++) other._p[i].Span.CopyTo(_p[i].Span);
    }

    /// <summary>Writes the weights to <paramref name="path"/> (safetensors, atomically), with <paramref name="metadata"/> added.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["hidden"] = Hidden.ToString(CultureInfo.InvariantCulture), ["format"] = "rlhf-connect4-mlp" };
        Safetensors.Save(path, Names.Select((n, i) => (n, _p[i])).ToDictionary(t => t.n, t => t.Item2), meta);
    }

    /// <summary>Loads a network written by <see cref="Save"/>; throws <see cref="InvalidDataException"/> naming the file when it is not one.</summary>
    public static PolicyValueNet Load(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such network file");
        var file = Safetensors.Load(path);
        if (!file.Metadata.TryGetValue("hidden", out var hs) || !int.TryParse(hs, CultureInfo.InvariantCulture, out int hidden) || hidden < 1)
            throw new InvalidDataException($"{path}: not a Connect Four network (metadata 'hidden' missing)");
        var net = Create(hidden, new Rng(0));
        for (int i = 0; i < Names.Length; i++)
        {
            if (!file.Tensors.TryGetValue(Names[i], out var t)) throw new InvalidDataException($"{path}: tensor '{Names[i]}' missing");
            if (!t.Shape.SequenceEqual(net._p[i].Shape))
                throw new InvalidDataException($"{path}: tensor '{Names[i]}' has shape {Tensor.ShapeString(t.Shape)}, expected {Tensor.ShapeString(net._p[i].Shape)}");
            t.Contiguous().Span.CopyTo(net._p[i].Span);
        }
        return net;
    }
}
