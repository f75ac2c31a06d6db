using System.Runtime.CompilerServices;
using Rlhf.Tensors.Autograd;

namespace Rlhf.Tensors;

/// <summary>
/// A float32, row-major, strided n-d array that can take part in reverse-mode autograd.
/// <para>
/// Storage is a plain <c>float[]</c>; a tensor is a window on it (<see cref="Offset"/>, <see cref="Shape"/>,
/// <see cref="Strides"/>), so reshape/transpose/slice can be views without a copy. Kernels work on contiguous
/// data: ops call <see cref="Contiguous"/> on their inputs (a no-op for contiguous tensors).
/// </para>
/// <para>
/// Autograd (micrograd style): an op that produces a tensor from inputs that require grad records a
/// <see cref="Node"/> holding the inputs and a backward closure written next to the forward math.
/// <see cref="Backward(Tensor?)"/> sorts the graph topologically and runs the closures in reverse.
/// <see cref="Grad"/> is always contiguous and has this tensor's shape.
/// </para>
/// </summary>
public sealed partial class Tensor
{
    private readonly int[] _shape;
    private readonly int[] _strides;

    /// <summary>Backing array (shared by views).</summary>
    public float[] Storage { get; }

    /// <summary>Index of element [0,0,...] in <see cref="Storage"/>.</summary>
    public int Offset { get; }

    /// <summary>Number of elements.</summary>
    public int Size { get; }

    /// <summary>Optional name (parameters: the checkpoint key).</summary>
    public string? Name { get; set; }

    /// <summary>When true, ops record the graph and <see cref="Backward(Tensor?)"/> fills <see cref="Grad"/>.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Accumulated gradient, contiguous, same shape; null until a backward pass reaches this tensor.</summary>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            _grad = value;
            _gradPooled = false; // a gradient set from outside belongs to its maker: never recycled
        }
    }

    private Tensor? _grad;

    /// <summary>True while <see cref="Grad"/>'s storage was rented from <see cref="GradientPool"/> by the engine.</summary>
    private bool _gradPooled;

    /// <summary>The op that produced this tensor (null for leaves and for tensors made under <see cref="NoGrad"/>).</summary>
    internal Node? Node { get; set; }

    /// <summary>Creates a tensor over existing storage (a view when <paramref name="offset"/>/<paramref name="strides"/> differ).</summary>
    public Tensor(float[] storage, int[] shape, int[]? strides = null, int offset = 0)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(shape);
        _shape = (int[])shape.Clone();
        int size = 1;
        foreach (int d in _shape)
        {
            if (d < 0) throw new TensorShapeException($"Tensor: negative dimension in shape {ShapeString(_shape)}");
            size = checked(size * d);
        }
        Size = size;
        _strides = strides is null ? ContiguousStrides(_shape) : (int[])strides.Clone();
        if (_strides.Length != _shape.Length)
            throw new TensorShapeException($"Tensor: strides {ShapeString(_strides)} do not match shape {ShapeString(_shape)}");
        if (size > 0)
        {
            long lo = offset, hi = offset;
            for (int i = 0; i < _shape.Length; i++)
            {
                long span = (long)(_shape[i] - 1) * _strides[i];
                if (span < 0) lo += span; else hi += span;
            }
            if (lo < 0 || hi >= storage.Length)
                throw new TensorShapeException(
                    $"Tensor: shape {ShapeString(_shape)} with strides {ShapeString(_strides)} at offset {offset} does not fit storage of {storage.Length}");
        }
        Storage = storage;
        Offset = offset;
    }

    /// <summary>The dimensions (a copy-free read-only view).</summary>
    public ReadOnlySpan<int> Shape => _shape;

    /// <summary>Element strides per dimension.</summary>
    public ReadOnlySpan<int> Strides => _strides;

    /// <summary>Number of dimensions.</summary>
    public int Rank => _shape.Length;

    /// <summary>Size of dimension <paramref name="dim"/> (negative counts from the end).</summary>
    public int Dim(int dim) => _shape[NormalizeDim(dim, Rank, "Dim")];

    /// <summary>Shape as a fresh array.</summary>
    public int[] ShapeArray() => (int[])_shape.Clone();

    /// <summary>True when elements are laid out row-major without gaps.</summary>
    public bool IsContiguous
    {
        get
        {
            int expected = 1;
            for (int i = _shape.Length - 1; i >= 0; i--)
            {
                if (_shape[i] != 1 && _strides[i] != expected) return false;
                expected *= _shape[i];
            }
            return true;
        }
    }

    /// <summary>The elements of a contiguous tensor, in row-major order.</summary>
    /// <exception cref="InvalidOperationException">The tensor is a non-contiguous view.</exception>
    public Span<float> Span
    {
        get
        {
            if (!IsContiguous)
                throw new InvalidOperationException($"Span: tensor {ShapeString(_shape)} is not contiguous; call Contiguous() first");
            return Storage.AsSpan(Offset, Size);
        }
    }

    /// <summary>True for tensors that are not produced by a recorded op (parameters, inputs).</summary>
    public bool IsLeaf => Node is null;

    /// <summary>Element at a multi-index.</summary>
    [IndexerName("At")]
    public float this[params int[] index]
    {
        get => Storage[FlatIndex(index)];
        set => Storage[FlatIndex(index)] = value;
    }

    private int FlatIndex(int[] index)
    {
        if (index.Length != Rank)
            throw new TensorShapeException($"indexer: {index.Length} indices for a tensor of shape {ShapeString(_shape)}");
        int flat = Offset;
        for (int i = 0; i < index.Length; i++)
        {
            if ((uint)index[i] >= (uint)_shape[i])
                throw new IndexOutOfRangeException($"indexer: index {index[i]} out of range for dimension {i} of shape {ShapeString(_shape)}");
            flat += index[i] * _strides[i];
        }
        return flat;
    }

    /// <summary>The single value of a one-element tensor.</summary>
    public float Item()
    {
        if (Size != 1) throw new TensorShapeException($"Item: tensor of shape {ShapeString(_shape)} has {Size} elements, expected 1");
        return Storage[Offset];
    }

    /// <summary>The elements in row-major order, as a new array.</summary>
    public float[] ToArray()
    {
        if (IsContiguous) return Storage.AsSpan(Offset, Size).ToArray();
        var result = new float[Size];
        CopyStridedTo(result);
        return result;
    }

    /// <summary>This tensor if contiguous, else a contiguous copy (recorded for autograd).</summary>
    public Tensor Contiguous()
    {
        if (IsContiguous) return this;
        var data = new float[Size];
        CopyStridedTo(data);
        var result = new Tensor(data, _shape);
        var self = this;
        // backward: gradients are stored in each tensor's logical (row-major) layout, so the strided copy is the
        // identity for autograd: d(input) += d(output)
        return Record(result, "Contiguous", [self], g => AddInto(self.GradBuffer(), g));
    }

    private void CopyStridedTo(Span<float> dst)
    {
        if (Size == 0) return;
        var idx = new int[Rank];
        for (int i = 0; i < dst.Length; i++)
        {
            int f = Offset;
            for (int d = 0; d < idx.Length; d++) f += idx[d] * _strides[d];
            dst[i] = Storage[f];
            Increment(idx, _shape);
        }
    }

    private static void Increment(int[] idx, int[] shape)
    {
        for (int d = idx.Length - 1; d >= 0; d--)
        {
            if (++idx[d] < shape[d]) return;
            idx[d] = 0;
        }
    }

    /// <summary>A detached deep copy (contiguous, no graph, no grad).</summary>
    public Tensor Clone() => new(ToArray(), _shape) { Name = Name };

    /// <summary>A tensor sharing this storage but cut from the graph.</summary>
    public Tensor Detach() => new(Storage, _shape, _strides, Offset);

    public override string ToString() => $"Tensor{ShapeString(_shape)}{(RequiresGrad ? " requires_grad" : "")}{(Name is null ? "" : " " + Name)}";

    // ---------------------------------------------------------------- factories

    /// <summary>A zero-filled tensor.</summary>
    public static Tensor Zeros(params int[] shape) => new(new float[ShapeSize(shape)], shape);

    /// <summary>A tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(float value, params int[] shape)
    {
        var data = GC.AllocateUninitializedArray<float>(ShapeSize(shape));
        data.AsSpan().Fill(value);
        return new Tensor(data, shape);
    }

    /// <summary>A one-filled tensor.</summary>
    public static Tensor Ones(params int[] shape) => Full(1f, shape);

    /// <summary>A one-element tensor of rank 0.</summary>
    public static Tensor Scalar(float value) => new([value], []);

    /// <summary>Wraps <paramref name="data"/> (no copy) with the given shape.</summary>
    public static Tensor FromArray(float[] data, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (ShapeSize(shape) != data.Length)
            throw new TensorShapeException($"FromArray: {data.Length} values do not fill shape {ShapeString(shape)}");
        return new Tensor(data, shape);
    }

    /// <summary>Normal(0, std²) initialisation from a seeded generator.</summary>
    public static Tensor Randn(Rng rng, float std, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = Zeros(shape);
        rng.FillNormal(t.Storage, 0f, std);
        return t;
    }

    /// <summary>Uniform[lo, hi) initialisation from a seeded generator.</summary>
    public static Tensor Rand(Rng rng, float lo, float hi, params int[] shape)
    {
        ArgumentNullException.ThrowIfNull(rng);
        var t = Zeros(shape);
        rng.FillUniform(t.Storage, lo, hi);
        return t;
    }

    /// <summary>Allocates an output without clearing it (the caller overwrites every element).</summary>
    public static Tensor Uninitialized(params int[] shape) => new(GC.AllocateUninitializedArray<float>(ShapeSize(shape)), shape);

    // ---------------------------------------------------------------- autograd

    /// <summary>
    /// Records <paramref name="output"/> as produced by an op named <paramref name="op"/> from <paramref name="inputs"/>,
    /// if grad mode is on and any input requires grad. <paramref name="backward"/> receives the output gradient
    /// (contiguous, output shape) and must accumulate into the inputs' <see cref="GradBuffer"/>s; it must not keep a
    /// reference to that gradient (interior gradient buffers are recycled once their node's backward has run).
    /// </summary>
    public static Tensor Record(Tensor output, string op, Tensor[] inputs, Action<Tensor> backward)
    {
        if (OpProfiler.Enabled) OpProfiler.RecordForward(op);
        if (!GradMode.IsEnabled) return output;
        bool any = false;
        foreach (var t in inputs) any |= t.RequiresGrad;
        if (!any) return output;
        output.RequiresGrad = true;
        output.Node = new Node(op, inputs, backward);
        return output;
    }

    /// <summary>
    /// The gradient storage for an op that writes every element of it: when no gradient exists yet the buffer is
    /// allocated without clearing and <paramref name="overwrite"/> is true (the op must store, not add); otherwise the
    /// existing gradient is returned with <paramref name="overwrite"/> false (the op adds). Saves a clearing pass
    /// and a read pass per activation gradient.
    /// </summary>
    public Span<float> GradBufferForWrite(out bool overwrite)
    {
        overwrite = _grad is null;
        if (overwrite) AdoptPooledGrad(GradientPool.Rent(Size, zeroed: false));
        return _grad!.Span;
    }

    /// <summary>The gradient storage of this tensor as a span, allocated (zeros) on first use.</summary>
    public Span<float> GradBuffer()
    {
        if (_grad is null) AdoptPooledGrad(GradientPool.Rent(Size, zeroed: true));
        return _grad!.Span;
    }

    private void AdoptPooledGrad(float[] buffer)
    {
        _grad = new Tensor(buffer, _shape);
        _gradPooled = true;
    }

    /// <summary>
    /// Grad += <paramref name="scale"/>·<paramref name="pooled"/>, where <paramref name="pooled"/> (this tensor's size,
    /// row-major) was rented from <see cref="GradientPool"/> by an op that computed the gradient early (fused ops);
    /// the buffer is taken over as the gradient when there is none yet, else returned to the pool.
    /// </summary>
    internal void AccumulateGrad(float[] pooled, float scale)
    {
        var src = pooled.AsSpan(0, Size);
        if (_grad is null)
        {
            if (scale != 1f) System.Numerics.Tensors.TensorPrimitives.Multiply(src, scale, src);
            AdoptPooledGrad(pooled);
            return;
        }
        var dst = _grad.Span;
        if (scale == 1f) System.Numerics.Tensors.TensorPrimitives.Add(dst, src, dst);
        else System.Numerics.Tensors.TensorPrimitives.MultiplyAdd(src, scale, dst, dst);
        GradientPool.Return(pooled);
    }

    /// <summary>
    /// Reverse-mode sweep from this tensor. With <paramref name="gradient"/> null the tensor must have one element
    /// (a loss) and is seeded with 1. Gradients accumulate (+=) into leaves, so several backward passes before an
    /// optimizer step sum their gradients (micro-batch accumulation). Interior gradients and the graph are freed.
    /// </summary>
    public void Backward(Tensor? gradient = null)
    {
        if (!RequiresGrad)
            throw new InvalidOperationException("Backward: tensor does not require grad (no parameter in its graph, or built under NoGrad)");
        if (gradient is null)
        {
            if (Size != 1) throw new TensorShapeException($"Backward: implicit gradient needs a one-element tensor, got shape {ShapeString(_shape)}");
            gradient = Ones(_shape);
        }
        else if (!gradient.Shape.SequenceEqual(Shape))
        {
            throw new TensorShapeException($"Backward: gradient shape {ShapeString(gradient._shape)} does not match tensor shape {ShapeString(_shape)}");
        }

        var order = TopologicalOrder(this);
        AddInto(GradBuffer(), gradient);

        for (int i = order.Count - 1; i >= 0; i--)
        {
            var t = order[i];
            var node = t.Node!;
            if (t.Grad is not null)
            {
                long start = OpProfiler.Enabled ? System.Diagnostics.Stopwatch.GetTimestamp() : 0;
                node.Backward(t.Grad);
                if (OpProfiler.Enabled) OpProfiler.RecordBackward(node.Op, System.Diagnostics.Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }
            // free the graph and interior gradients (PyTorch's retain_graph=False, retain_grad=False); the
            // interior gradient buffer was made by GradBuffer and nobody else holds it, so it is recycled
            t.Node = null;
            if (t._grad is { Offset: 0 } grad && grad.Storage.Length == grad.Size) GradientPool.Return(grad.Storage);
            t.Grad = null;
            t.RequiresGrad = false;
            order[i] = null!; // the activation is garbage once its node has run (unless the caller still holds it)
        }
        MemoryPolicy.MaybeCollect();
    }

    /// <summary>dst += src (src in row-major order of dst's logical shape).</summary>
    internal static void AddInto(Span<float> dst, Tensor src)
    {
        var s = src.IsContiguous ? src.Span : src.ToArray();
        System.Numerics.Tensors.TensorPrimitives.Add(dst, s, dst);
    }

    private static List<Tensor> TopologicalOrder(Tensor root)
    {
        // iterative DFS post-order over nodes (tensors with a Node); leaves are not listed
        var order = new List<Tensor>();
        var visited = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<(Tensor t, int next)>();
        if (root.Node is null) return order;
        stack.Push((root, 0));
        visited.Add(root);
        while (stack.Count > 0)
        {
            var (t, next) = stack.Pop();
            var inputs = t.Node!.Inputs;
            if (next < inputs.Length)
            {
                stack.Push((t, next + 1));
                var c = inputs[next];
                if (c.Node is not null && visited.Add(c)) stack.Push((c, 0));
            }
            else
            {
                order.Add(t);
            }
        }
        return order;
    }

    /// <summary>Sets <see cref="Grad"/> to null (call before accumulating a new step's gradients).</summary>
    /// <remarks>
    /// A gradient buffer the engine allocated goes back to its pool, so the next step's backward reuses it instead
    /// of a fresh (page-faulting, zeroing) allocation: do not keep a reference to <see cref="Grad"/> across this call.
    /// </remarks>
    public void ZeroGrad()
    {
        if (_gradPooled && _grad is { Offset: 0 } g && g.Storage.Length == g.Size) GradientPool.Return(g.Storage);
        Grad = null;
    }

    /// <summary>
    /// Bytes of the distinct arrays the recorded graph under this tensor holds for backward: every node's output and
    /// the inputs that are themselves graph tensors (activations), without leaves (parameters, data). Arrays captured
    /// only inside backward closures (per-row statistics, masks) are not counted. For memory reports.
    /// </summary>
    public long GraphStorageBytes()
    {
        var seen = new HashSet<float[]>(ReferenceEqualityComparer.Instance);
        long bytes = 0;
        foreach (var t in TopologicalOrder(this))
        {
            if (seen.Add(t.Storage)) bytes += (long)t.Storage.Length * sizeof(float);
            foreach (var input in t.Node!.Inputs)
                if (!input.IsLeaf && seen.Add(input.Storage)) bytes += (long)input.Storage.Length * sizeof(float);
        }
        return bytes;
    }

    /// <summary>Disables graph recording until the returned scope is disposed (inference, reference models).</summary>
    public static GradMode.Scope NoGrad() => GradMode.Disable();

    // ---------------------------------------------------------------- shape helpers

    internal static int[] ContiguousStrides(ReadOnlySpan<int> shape)
    {
        var strides = new int[shape.Length];
        int s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    internal static int ShapeSize(ReadOnlySpan<int> shape)
    {
        int size = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new TensorShapeException($"negative dimension in shape {ShapeString(shape)}");
            size = checked(size * d);
        }
        return size;
    }

    /// <summary>Formats a shape as <c>[2, 3, 4]</c> for error messages.</summary>
    public static string ShapeString(ReadOnlySpan<int> shape) => "[" + string.Join(", ", shape.ToArray()) + "]";

    internal static int NormalizeDim(int dim, int rank, string op)
    {
        int d = dim < 0 ? dim + rank : dim;
        if ((uint)d >= (uint)rank)
            throw new TensorShapeException($"{op}: dimension {dim} out of range for rank {rank}");
        return d;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static bool SameShape(Tensor a, Tensor b) => a.Shape.SequenceEqual(b.Shape);
}
