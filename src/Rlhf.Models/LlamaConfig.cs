namespace Rlhf.Models;

/// <summary>
/// Architecture of a Llama-family decoder (HF <c>LlamaConfig</c>, <c>Qwen2Config</c>, <c>Qwen3Config</c>): pre-RMSNorm
/// blocks, rotary positions, grouped-query attention, SwiGLU MLP. The three families differ only in flags:
/// Qwen2 adds a bias to the q/k/v projections, Qwen3 normalises each q and k head with its own RMSNorm before the
/// rotation, and Llama/Qwen3 may carry a bias on all four attention projections (<c>attention_bias</c>).
/// Read from and written to <c>config.json</c> by <see cref="Checkpoints.LlamaConfigJson"/>.
/// </summary>
public sealed record LlamaConfig(
    string ModelType,
    int HiddenSize,
    int IntermediateSize,
    int NumLayers,
    int NumHeads,
    int NumKvHeads,
    int HeadDim,
    int VocabSize,
    int MaxPositions,
    float RmsNormEps,
    double RopeTheta,
    RopeScaling? RopeScaling,
    bool TieWordEmbeddings,
    bool QkvBias,
    bool OutputBias,
    bool QkNorm,
    int? BosTokenId = null,
    int? EosTokenId = null)
{
    /// <summary>The <c>model_type</c> values this decoder implements.</summary>
    public static readonly IReadOnlyList<string> ModelTypes = ["llama", "qwen2", "qwen3"];

    /// <summary>Width of the query projection output (H·head_dim; may differ from hidden_size in Qwen3).</summary>
    public int QueryWidth => NumHeads * HeadDim;

    /// <summary>Width of each of the key and value projection outputs (KV·head_dim) — what the KV cache stores per position.</summary>
    public int KvWidth => NumKvHeads * HeadDim;

    /// <summary>
    /// A config for <paramref name="modelType"/> with that family's conventions: Qwen2 has q/k/v bias, Qwen3 q/k norm;
    /// <paramref name="attentionBias"/> (llama, qwen3) puts a bias on q, k, v and o.
    /// </summary>
    public static LlamaConfig ForFamily(string modelType, int hiddenSize, int intermediateSize, int numLayers, int numHeads, int numKvHeads,
        int vocabSize, int maxPositions, double ropeTheta, bool tieWordEmbeddings, float rmsNormEps = 1e-6f, int? headDim = null,
        RopeScaling? ropeScaling = null, bool attentionBias = false, int? bosTokenId = null, int? eosTokenId = null) =>
        new(modelType, hiddenSize, intermediateSize, numLayers, numHeads, numKvHeads, headDim ?? (numHeads > 0 ? hiddenSize / numHeads : 0),
            vocabSize, maxPositions, rmsNormEps, ropeTheta, ropeScaling, tieWordEmbeddings,
            QkvBias: modelType == "qwen2" || attentionBias, OutputBias: modelType != "qwen2" && attentionBias, QkNorm: modelType == "qwen3",
            bosTokenId, eosTokenId);

    /// <summary>
    /// The problems that keep these numbers from forming a model, as "field: what is wrong" lines (empty = valid).
    /// Sizes are checked in 64-bit arithmetic so an absurd config is reported, never an overflow.
    /// </summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        void Positive(string field, long value) { if (value <= 0) problems.Add($"\"{field}\" must be positive, got {value}"); }
        if (!ModelTypes.Contains(ModelType)) problems.Add($"\"model_type\" is \"{ModelType}\", expected one of {string.Join(", ", ModelTypes)}");
        Positive("hidden_size", HiddenSize);
        Positive("intermediate_size", IntermediateSize);
        Positive("num_hidden_layers", NumLayers);
        Positive("num_attention_heads", NumHeads);
        Positive("num_key_value_heads", NumKvHeads);
        Positive("head_dim", HeadDim);
        Positive("vocab_size", VocabSize);
        Positive("max_position_embeddings", MaxPositions);
        if (problems.Count > 0) return problems;
        if (NumHeads % NumKvHeads != 0)
            problems.Add($"\"num_attention_heads\" {NumHeads} is not a multiple of \"num_key_value_heads\" {NumKvHeads}");
        if (ModelType == "qwen2" && (!QkvBias || OutputBias)) problems.Add("qwen2 has a bias on q/k/v and none on o_proj");
        if (ModelType != "qwen2" && QkvBias != OutputBias) problems.Add($"{ModelType}: \"attention_bias\" puts a bias on all of q/k/v/o_proj or none");
        if (QkNorm != (ModelType == "qwen3")) problems.Add("per-head q/k RMSNorm is what qwen3 has and the others do not");
        if (HeadDim % 2 != 0) problems.Add($"\"head_dim\" {HeadDim} must be even for rotary embeddings");
        if (!(RmsNormEps > 0)) problems.Add($"\"rms_norm_eps\" must be positive, got {RmsNormEps}");
        if (!(RopeTheta > 0)) problems.Add($"\"rope_theta\" must be positive, got {RopeTheta}");
        // every tensor must fit one float[] (≤ 2³¹ − 1 elements) and the whole model must be addressable
        const long maxElements = int.MaxValue;
        (string Name, long Elements)[] largest =
        [
            ("vocab_size × hidden_size (embed_tokens)", (long)VocabSize * HiddenSize),
            ("hidden_size × intermediate_size (mlp)", (long)HiddenSize * IntermediateSize),
            ("hidden_size × num_attention_heads·head_dim (q_proj)", (long)HiddenSize * NumHeads * HeadDim),
        ];
        foreach (var (name, elements) in largest)
            if (elements > maxElements) problems.Add($"{name} = {elements:N0} elements exceeds the {maxElements:N0} one tensor can hold");
        if (problems.Count == 0 && ParameterCount > 64L * maxElements)
            problems.Add($"the model would have {ParameterCount:N0} parameters, more than this CPU engine can hold");
        problems.AddRange(RopeScaling?.Problems() ?? []);
        return problems;
    }

    /// <summary>Throws <see cref="ArgumentException"/> listing every problem (see <see cref="Problems"/>).</summary>
    public void Validate()
    {
        var problems = Problems();
        if (problems.Count > 0) throw new ArgumentException($"LlamaConfig: {string.Join("; ", problems)}");
    }

    /// <summary>Number of parameters (64-bit; a tied LM head counted once).</summary>
    public long ParameterCount
    {
        get
        {
            long C = HiddenSize, q = QueryWidth, kv = KvWidth;
            long attention = C * q + 2 * C * kv + q * C + (QkvBias ? q + 2 * kv : 0) + (OutputBias ? C : 0) + (QkNorm ? 2L * HeadDim : 0);
            long mlp = 3 * C * IntermediateSize;
            long perLayer = attention + mlp + 2 * C;
            return (long)VocabSize * C * (TieWordEmbeddings ? 1 : 2) + NumLayers * perLayer + C;
        }
    }
}

/// <summary>
/// <c>rope_scaling</c> of type <c>llama3</c> (Llama 3.1/3.2): frequencies whose wavelength exceeds
/// original_max_position_embeddings / low_freq_factor are divided by <see cref="Factor"/>, those shorter than
/// original / high_freq_factor kept, and the band between interpolated smoothly (transformers
/// <c>_compute_llama3_parameters</c>).
/// </summary>
public sealed record RopeScaling(string RopeType, double Factor, double LowFreqFactor, double HighFreqFactor, int OriginalMaxPositions)
{
    /// <summary>Problems with these values (empty = valid).</summary>
    public IReadOnlyList<string> Problems()
    {
        var problems = new List<string>();
        if (RopeType != "llama3") problems.Add($"\"rope_scaling.rope_type\" is \"{RopeType}\", only \"llama3\" (or no rope_scaling) is supported");
        if (!(Factor > 0)) problems.Add($"\"rope_scaling.factor\" must be positive, got {Factor}");
        if (!(LowFreqFactor > 0) || !(HighFreqFactor > LowFreqFactor))
            problems.Add($"\"rope_scaling\" needs 0 < low_freq_factor < high_freq_factor, got {LowFreqFactor} and {HighFreqFactor}");
        if (OriginalMaxPositions <= 0) problems.Add($"\"rope_scaling.original_max_position_embeddings\" must be positive, got {OriginalMaxPositions}");
        return problems;
    }
}
