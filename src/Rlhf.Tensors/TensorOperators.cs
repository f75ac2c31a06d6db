namespace Rlhf.Tensors;

/// <summary>C# operators for the element-wise ops (all recorded for autograd, all with NumPy broadcasting).</summary>
public sealed partial class Tensor
{
    /// <summary><see cref="Ops.Add"/>: a + b with broadcasting.</summary>
    public static Tensor operator +(Tensor a, Tensor b) => Ops.Add(a, b);

    /// <summary><see cref="Ops.Sub"/>: a − b with broadcasting.</summary>
    public static Tensor operator -(Tensor a, Tensor b) => Ops.Sub(a, b);

    /// <summary><see cref="Ops.Mul"/>: element-wise a ⊙ b with broadcasting (not a matrix product; see <see cref="Ops.MatMul"/>).</summary>
    public static Tensor operator *(Tensor a, Tensor b) => Ops.Mul(a, b);

    /// <summary><see cref="Ops.Div"/>: element-wise a / b with broadcasting.</summary>
    public static Tensor operator /(Tensor a, Tensor b) => Ops.Div(a, b);

    /// <summary><see cref="Ops.Neg"/>: −a.</summary>
    public static Tensor operator -(Tensor a) => Ops.Neg(a);

    /// <summary>a + s.</summary>
    public static Tensor operator +(Tensor a, float s) => Ops.AddScalar(a, s);

    /// <summary>s + a.</summary>
    public static Tensor operator +(float s, Tensor a) => Ops.AddScalar(a, s);

    /// <summary>a − s.</summary>
    public static Tensor operator -(Tensor a, float s) => Ops.AddScalar(a, -s);

    /// <summary>s − a (one op: Affine(a, −1, s)).</summary>
    public static Tensor operator -(float s, Tensor a) => Ops.Affine(a, -1f, s);

    /// <summary>a·s.</summary>
    public static Tensor operator *(Tensor a, float s) => Ops.Scale(a, s);

    /// <summary>s·a.</summary>
    public static Tensor operator *(float s, Tensor a) => Ops.Scale(a, s);

    /// <summary>a / s, as a true IEEE division (not a multiplication by 1/s, which can differ in the last bit).</summary>
    public static Tensor operator /(Tensor a, float s) => Ops.Div(a, Scalar(s));

    /// <summary>s / a, element-wise.</summary>
    public static Tensor operator /(float s, Tensor a) => Ops.Div(Scalar(s), a);
}
