using System.Globalization;

namespace Rlhf.Cli.Bench;

/// <summary>
/// One GEMM benchmark problem: C (M×N) = op(A) · op(B) with inner dimension K, written "MxKxN[:VV]" where the
/// variant VV says which operand is transposed in storage: NN = A·B, NT = A·Bᵀ, TN = Aᵀ·B, TT = Aᵀ·Bᵀ.
/// </summary>
public sealed record GemmCase(int M, int K, int N, bool TransA, bool TransB)
{
    /// <summary>The shapes <c>rlhf bench gemm</c> runs by default (GPT d=768, 512 tokens, plus square ones).</summary>
    public static IReadOnlyList<GemmCase> Standard { get; } =
    [
        new(1024, 1024, 1024, false, false),
        new(512, 768, 3072, false, false),  // MLP up-projection: Y = X·W, X (512, 768), W (768, 3072)
        new(512, 3072, 768, false, true),   // its input gradient: dX = dY·Wᵀ
        new(768, 512, 3072, true, false),   // its weight gradient: dW = Xᵀ·dY
        new(2048, 2048, 2048, false, false),
    ];

    /// <summary>"MxKxN", the JSON <c>shape</c> field.</summary>
    public string Shape => $"{M}x{K}x{N}";

    /// <summary>"NN", "NT", "TN" or "TT", the JSON <c>variant</c> field.</summary>
    public string Variant => $"{(TransA ? 'T' : 'N')}{(TransB ? 'T' : 'N')}";

    /// <summary>Human form of the product, e.g. "A·Bᵀ".</summary>
    public string Formula => $"A{(TransA ? "ᵀ" : "")}·B{(TransB ? "ᵀ" : "")}";

    /// <summary>Flops of one multiply: 2·M·N·K (one multiply and one add per term).</summary>
    public double Flops => 2.0 * M * N * K;

    /// <summary>"MxKxN:VV", the form <see cref="TryParse"/> reads.</summary>
    public override string ToString() => $"{Shape}:{Variant}";

    /// <summary>Parses "MxKxN" or "MxKxN:VV"; returns null and sets <paramref name="error"/> when malformed.</summary>
    public static GemmCase? TryParse(string text, out string? error)
    {
        error = null;
        var parts = text.Split(':');
        var dims = parts[0].Split('x', 'X');
        string variant = parts.Length > 1 ? parts[1].ToUpperInvariant() : "NN";
        var values = new int[3];
        bool ok = parts.Length <= 2 && dims.Length == 3 && variant is "NN" or "NT" or "TN" or "TT";
        for (int i = 0; ok && i < 3; i++)
            ok = int.TryParse(dims[i], NumberStyles.None, CultureInfo.InvariantCulture, out values[i]) && values[i] > 0 && values[i] <= 16384;
        if (!ok)
        {
            error = $"'{text}' is not a GEMM shape: expected MxKxN or MxKxN:VV with 1 ≤ M, K, N ≤ 16384 and VV one of NN, NT, TN, TT (e.g. 512x3072x768:NT)";
            return null;
        }
        return new GemmCase(values[0], values[1], values[2], variant[0] == 'T', variant[1] == 'T');
    }
}
