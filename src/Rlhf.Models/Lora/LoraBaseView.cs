using Rlhf.Tensors;

namespace Rlhf.Models.Lora;

/// <summary>
/// The base model under a LoRA model, as an <see cref="ICausalLm"/> of its own: every call runs on the same weights
/// with the adapters switched off (<see cref="LoraAdapters.Disable"/>), so a frozen reference policy (PPO's KL
/// anchor, DPO's and GRPO's reference) costs no second copy of the weights. Parameters are the (frozen) base
/// parameters; saving writes the base model.
/// </summary>
public sealed class LoraBaseView(ICausalLm model, LoraAdapters adapters) : ICausalLm
{
    private readonly ICausalLm _model = model ?? throw new ArgumentNullException(nameof(model));
    private readonly LoraAdapters _adapters = adapters ?? throw new ArgumentNullException(nameof(adapters));

    /// <inheritdoc />
    public string ModelType => _model.ModelType;

    /// <inheritdoc />
    public int HiddenSize => _model.HiddenSize;

    /// <inheritdoc />
    public int VocabSize => _model.VocabSize;

    /// <inheritdoc />
    public int MaxPositions => _model.MaxPositions;

    /// <inheritdoc />
    public long ParameterCount => _model.ParameterCount;

    /// <inheritdoc />
    public Tensor Forward(int[] ids, int batch, int time, bool[]? attentionMask = null)
    {
        using var off = _adapters.Disable();
        return _model.Forward(ids, batch, time, attentionMask);
    }

    /// <inheritdoc />
    public Tensor Logits(Tensor hidden) => _model.Logits(hidden);

    /// <inheritdoc />
    public Tensor LanguageModelLoss(Tensor hidden, int[] targets, int ignoreIndex = -100, float[]? weights = null) =>
        _model.LanguageModelLoss(hidden, targets, ignoreIndex, weights);

    /// <inheritdoc />
    public KvCache NewCache(int batch, int capacity) => _model.NewCache(batch, capacity);

    /// <inheritdoc />
    public Tensor ForwardCached(int[] ids, int newTokens, KvCache cache, bool[]? newMask = null)
    {
        using var off = _adapters.Disable();
        return _model.ForwardCached(ids, newTokens, cache, newMask);
    }

    /// <inheritdoc />
    public bool GradientCheckpointing
    {
        get => _model.GradientCheckpointing;
        set => _model.GradientCheckpointing = value;
    }

    /// <summary>
    /// Nothing to do: the base weights are already frozen (only the adapters train) and stay float32 even for
    /// <see cref="Dtype.BF16"/>, because they are the trained policy's own weights, which the adapters' gradients
    /// flow back through (the bf16 products are forward-only).
    /// </summary>
    public void FreezeTo(Dtype dtype) { }

    /// <inheritdoc />
    public Dtype? FrozenDtype => _model.FrozenDtype;

    /// <inheritdoc />
    public IReadOnlyList<Tensor> Parameters() => _model.Parameters();

    /// <inheritdoc />
    public void Save(string directory, IEnumerable<Tensor>? extra = null, IReadOnlyDictionary<string, string>? metadata = null, int? eosTokenId = null) =>
        _model.Save(directory, extra, metadata, eosTokenId);
}
