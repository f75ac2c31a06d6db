using Rlhf.Tensors;

namespace Rlhf.Models;

/// <summary>
/// A decoder-only language model as every trainer, head and the sampler see it, whatever its family
/// (<see cref="Gpt"/> for GPT-2, <see cref="Llama"/> for Llama / Qwen2 / Qwen3): hidden states for value and reward
/// heads, logits, incremental KV-cache decoding, parameters by checkpoint key, and saving in the family's
/// Hugging Face layout. Load any family with <see cref="Checkpoints.CausalLmCheckpoint.Load(string)"/>.
/// </summary>
public interface ICausalLm
{
    /// <summary>The HF <c>model_type</c>: gpt2, llama, qwen2 or qwen3.</summary>
    string ModelType { get; }

    /// <summary>Width C of the hidden states that heads read.</summary>
    int HiddenSize { get; }

    /// <summary>Vocabulary size V (logits width).</summary>
    int VocabSize { get; }

    /// <summary>Longest sequence the model accepts (n_positions / max_position_embeddings).</summary>
    int MaxPositions { get; }

    /// <summary>
    /// The checkpoint's end-of-sequence ids (<c>eos_token_id</c> of generation_config.json or config.json, an integer or
    /// a list: Llama 3 Instruct stops at end of text, of message and of turn). <see cref="Generation.Generator"/> stops a
    /// row at any of them as well as at the caller's end-of-text id. Empty when the checkpoint names none.
    /// </summary>
    IReadOnlyList<int> EosTokenIds => [];

    /// <summary>
    /// Hidden states (B, T, C) after the final norm for token ids (B·T, row-major). <paramref name="attentionMask"/>
    /// (B·T, true = real token) masks padded keys and counts positions from each row's first real token.
    /// </summary>
    Tensor Forward(int[] ids, int batch, int time, bool[]? attentionMask = null);

    /// <summary>LM head: (…, C) → (…, V).</summary>
    Tensor Logits(Tensor hidden);

    /// <summary>
    /// Mean next-token cross-entropy of the LM head on <paramref name="hidden"/> (…, C), one target per position: the
    /// value and gradients of <c>Ops.CrossEntropy(Logits(hidden), targets, ignoreIndex, weights)</c>, fused
    /// (<see cref="Ops.LinearCrossEntropy"/>) so the (positions × vocabulary) logits are never held whole.
    /// </summary>
    Tensor LanguageModelLoss(Tensor hidden, int[] targets, int ignoreIndex = -100, float[]? weights = null);

    /// <summary>An empty KV cache for <paramref name="batch"/> rows of up to <paramref name="capacity"/> positions.</summary>
    KvCache NewCache(int batch, int capacity);

    /// <summary>
    /// Incremental forward without autograd: appends <paramref name="newTokens"/> positions per row (ids (B·n)) to
    /// <paramref name="cache"/> and returns the logits (B, V) of each row's last new position.
    /// </summary>
    Tensor ForwardCached(int[] ids, int newTokens, KvCache cache, bool[]? newMask = null);

    /// <summary>
    /// Activation (gradient) checkpointing per block: when on, a training forward keeps only each block's input and
    /// recomputes the block's activations during backward (<see cref="Ops.Checkpoint"/>). Values and gradients are
    /// bit-identical to a run without it; it trades about one extra forward per step for most of the activation memory.
    /// </summary>
    bool GradientCheckpointing { get; set; }

    /// <summary>
    /// Makes the model a frozen, forward-only model (reference policy, reward model trunk, judge): no parameter
    /// requires gradients any more. With <see cref="Dtype.BF16"/> the weight matrices (projections, embeddings, LM
    /// head) are rounded to bf16 (half the memory) and their float32 arrays released; products accumulate in float32.
    /// Afterwards <see cref="Parameters"/>, <see cref="Save"/> and <see cref="LanguageModelLoss"/> throw (nothing to train
    /// or save: load the checkpoint again), and an input that requires a gradient is refused.
    /// </summary>
    void FreezeTo(Dtype dtype);

    /// <summary>The dtype the model was frozen to (<see cref="FreezeTo"/>), or null while it is trainable.</summary>
    Dtype? FrozenDtype { get; }

    /// <summary>All parameters, each named with its checkpoint key.</summary>
    IReadOnlyList<Tensor> Parameters();

    /// <summary>Number of trainable scalars (a tied LM head counted once).</summary>
    long ParameterCount { get; }

    /// <summary>
    /// Writes the model (+ <paramref name="extra"/> named tensors such as heads) and a config.json in the family's
    /// Hugging Face layout into <paramref name="directory"/>.
    /// </summary>
    void Save(string directory, IEnumerable<Tensor>? extra = null, IReadOnlyDictionary<string, string>? metadata = null, int? eosTokenId = null);
}
