using Rlhf.Models;
using Rlhf.Training.Common;
using Rlhf.Tensors;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Rl;

/// <summary>Freezes an RL run's frozen models (<see cref="TrainerConfig.FrozenDtype"/>): references and the reward models inside reward functions.</summary>
public static class FrozenRewards
{
    /// <summary>
    /// <see cref="ICausalLm.FreezeTo"/> on each of <paramref name="models"/> and <see cref="RewardModel.FreezeTo"/> on every
    /// reward model inside <paramref name="rewards"/> (the members of a <see cref="RewardModelReward"/>, also as a term of a
    /// <see cref="WeightedReward"/>); rewards without a model of ours (external scorers, the lexicon) and nulls are skipped.
    /// </summary>
    public static void Freeze(Dtype dtype, IEnumerable<ICausalLm> models, IEnumerable<IRewardFunction?> rewards)
    {
        ArgumentNullException.ThrowIfNull(models);
        ArgumentNullException.ThrowIfNull(rewards);
        foreach (var model in models) model.FreezeTo(dtype);
        foreach (var reward in rewards) FreezeReward(dtype, reward);
    }

    private static void FreezeReward(Dtype dtype, IRewardFunction? reward)
    {
        switch (reward)
        {
            case RewardModelReward rm:
                foreach (var member in rm.Members) member.FreezeTo(dtype);
                break;
            case WeightedReward weighted:
                foreach (var (part, _) in weighted.Terms) FreezeReward(dtype, part);
                break;
        }
    }
}
