using System.Globalization;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Tensors.Optim;

/// <summary>
/// Shared plumbing of the optimizers: parameter-list validation and the state file layout.
/// <para>
/// State file (safetensors): one tensor per parameter and buffer, keyed <c>&lt;paramName&gt;&lt;suffix&gt;</c>
/// (e.g. <c>h.0.attn.weight.exp_avg</c>), shaped like the parameter. Metadata: <c>optimizer</c>, <c>format</c>,
/// <c>step</c> (Step() calls), <c>lr</c>, the hyperparameters, and <c>&lt;paramName&gt;.step</c> (updates applied to
/// that parameter, which drives bias correction / first-step momentum). Floats use round-trip formatting.
/// </para>
/// </summary>
internal static class OptimizerState
{
    private const string FormatVersion = "1";

    /// <summary>Parameters must be non-null, contiguous, and carry unique non-empty names (the state-file keys).</summary>
    public static Tensor[] ValidateParameters(IReadOnlyList<Tensor> parameters, string optimizer)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        var result = new Tensor[parameters.Count];
        var names = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < result.Length; i++)
        {
            var p = parameters[i] ?? throw new ArgumentException($"{optimizer}: parameter {i} is null", nameof(parameters));
            if (string.IsNullOrEmpty(p.Name))
                throw new ArgumentException($"{optimizer}: parameter {i} ({p}) has no Name; optimizer state is keyed by parameter name", nameof(parameters));
            if (!names.Add(p.Name))
                throw new ArgumentException($"{optimizer}: parameter name '{p.Name}' is used twice (index {i}); names must be unique", nameof(parameters));
            if (!p.IsContiguous)
                throw new ArgumentException($"{optimizer}: parameter '{p.Name}' {Tensor.ShapeString(p.Shape)} is a non-contiguous view", nameof(parameters));
            result[i] = p;
        }
        return result;
    }

    /// <summary>The gradient span of <paramref name="p"/>, or empty-and-false when it has none; checks the gradient's shape.</summary>
    public static bool TryGrad(Tensor p, string optimizer, out Span<float> grad)
    {
        grad = default;
        var g = p.Grad;
        if (g is null) return false;
        if (!Tensor.SameShape(p, g))
            throw new TensorShapeException($"{optimizer}: gradient of '{p.Name}' has shape {Tensor.ShapeString(g.Shape)}, parameter has {Tensor.ShapeString(p.Shape)}");
        grad = g.Span;
        return true;
    }

    public static string Format(float v) => v.ToString("R", CultureInfo.InvariantCulture);

    /// <summary>Writes buffers and metadata for <paramref name="parameters"/> to <paramref name="path"/>.</summary>
    public static void Save(string path, string optimizer, Tensor[] parameters, int stepCount, float learningRate, int[] paramSteps,
        IReadOnlyList<(string Suffix, float[][] Buffers)> buffers, IReadOnlyDictionary<string, string> hyper)
    {
        var tensors = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (suffix, arrays) in buffers)
            for (int i = 0; i < parameters.Length; i++)
                tensors.Add(parameters[i].Name + suffix, new Tensor(arrays[i], parameters[i].ShapeArray()));
        var meta = new Dictionary<string, string>(hyper, StringComparer.Ordinal)
        {
            ["optimizer"] = optimizer,
            ["format"] = FormatVersion,
            ["step"] = stepCount.ToString(CultureInfo.InvariantCulture),
            ["lr"] = Format(learningRate),
        };
        for (int i = 0; i < parameters.Length; i++)
            meta[parameters[i].Name + ".step"] = paramSteps[i].ToString(CultureInfo.InvariantCulture);
        Safetensors.Save(path, tensors, meta);
    }

    /// <summary>What <see cref="Load"/> read, already validated against the parameters.</summary>
    public sealed record Loaded(int StepCount, float LearningRate, int[] ParamSteps, float[][][] Buffers);

    /// <summary>
    /// Reads a state file and checks it against <paramref name="parameters"/>: the optimizer kind, every expected
    /// buffer present with the parameter's shape, no unknown tensors, per-parameter steps, and hyperparameters equal
    /// to <paramref name="hyper"/> (a resumed run must not silently change them). All problems are reported together.
    /// </summary>
    public static Loaded Load(string path, string optimizer, Tensor[] parameters, IReadOnlyList<string> suffixes,
        IReadOnlyDictionary<string, string> hyper)
    {
        var file = Safetensors.Load(path);
        var meta = file.Metadata;
        string Where() => $"{path}: {optimizer} state";
        if (!meta.TryGetValue("optimizer", out var kind) || kind != optimizer)
            throw new SafetensorsFormatException($"{Where()}: file holds optimizer '{kind ?? "(none)"}', expected '{optimizer}'");
        if (!meta.TryGetValue("format", out var fmt) || fmt != FormatVersion)
            throw new SafetensorsFormatException($"{Where()}: unsupported state format '{fmt ?? "(none)"}', expected '{FormatVersion}'");

        var problems = new List<string>();
        foreach (var (key, expected) in hyper)
        {
            if (!meta.TryGetValue(key, out var actual)) problems.Add($"missing metadata '{key}'");
            else if (actual != expected) problems.Add($"hyperparameter '{key}' is {actual} in the file but {expected} in this optimizer");
        }
        int stepCount = ParseInt(meta, "step", problems);
        float lr = 0;
        if (!meta.TryGetValue("lr", out var lrText) || !float.TryParse(lrText, NumberStyles.Float, CultureInfo.InvariantCulture, out lr)
            || !(lr >= 0f) || !float.IsFinite(lr))
            problems.Add($"metadata 'lr' is missing or not a finite non-negative number ({lrText ?? "absent"})");

        var expectedKeys = new HashSet<string>(StringComparer.Ordinal);
        var buffers = new float[suffixes.Count][][];
        var steps = new int[parameters.Length];
        for (int s = 0; s < suffixes.Count; s++)
        {
            buffers[s] = new float[parameters.Length][];
            for (int i = 0; i < parameters.Length; i++)
            {
                var p = parameters[i];
                string key = p.Name + suffixes[s];
                expectedKeys.Add(key);
                if (!file.Tensors.TryGetValue(key, out var t))
                    problems.Add($"missing tensor '{key}' for parameter '{p.Name}' {Tensor.ShapeString(p.Shape)}");
                else if (!Tensor.SameShape(p, t))
                    problems.Add($"tensor '{key}' has shape {Tensor.ShapeString(t.Shape)}, but parameter '{p.Name}' has shape {Tensor.ShapeString(p.Shape)}");
                else
                    buffers[s][i] = t.Storage; // loaded tensors own a fresh contiguous array of exactly Size elements
            }
        }
        for (int i = 0; i < parameters.Length; i++) steps[i] = ParseInt(meta, parameters[i].Name + ".step", problems);
        foreach (var key in file.Tensors.Keys)
            if (!expectedKeys.Contains(key)) problems.Add($"unexpected tensor '{key}' (no parameter of this optimizer matches it)");

        if (problems.Count > 0)
        {
            const int shown = 20;
            string list = string.Join("; ", problems.Take(shown)) + (problems.Count > shown ? $"; ... and {problems.Count - shown} more" : "");
            throw new SafetensorsFormatException($"{Where()} does not match the parameters: {list}");
        }
        return new Loaded(stepCount, lr, steps, buffers);
    }

    private static int ParseInt(IReadOnlyDictionary<string, string> meta, string key, List<string> problems)
    {
        if (meta.TryGetValue(key, out var text) && int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int v)) return v;
        problems.Add($"metadata '{key}' is missing or not a non-negative integer ({text ?? "absent"})");
        return 0;
    }
}
