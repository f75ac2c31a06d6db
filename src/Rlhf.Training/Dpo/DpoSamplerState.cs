using Rlhf.Tensors;

namespace Rlhf.Training.Dpo;

/// <summary>Serializable state of a <see cref="DpoPairSampler"/>: generator state at the epoch start, epoch, position, and the shape it belongs to.</summary>
public sealed record DpoSamplerState(RngState EpochStartRng, int Epoch, int Position, int PairCount, int BatchSize);
