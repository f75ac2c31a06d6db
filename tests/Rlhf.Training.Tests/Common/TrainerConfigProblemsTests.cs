using Rlhf.Training.Common;
using Rlhf.Training.Dpo;
using Rlhf.Training.Grpo;
using Rlhf.Training.Ppo;
using Rlhf.Training.Sft;

namespace Rlhf.Training.Tests.Common;

/// <summary>
/// The configs' own rules are the one statement of what a setting may be: <see cref="TrainerConfig.Problems"/> names
/// the field of each problem (the CLI maps it to its option) and <see cref="TrainerConfig.Validate"/> throws with them.
/// </summary>
public sealed class TrainerConfigProblemsTests
{
    [Fact]
    public void ValidConfigs_HaveNoProblems()
    {
        Assert.Empty(new SftConfig { OutDir = "o", InitCheckpoint = "m" }.Problems());
        Assert.Empty(new GrpoConfig { OutDir = "o", InitCheckpoint = "m" }.Problems());
        Assert.Empty(new PpoConfig { OutDir = "o" }.Problems());
        new DpoConfig { OutDir = "o", InitCheckpoint = "m" }.Validate();
    }

    [Fact]
    public void EachProblem_NamesItsField_SharedAndMethodOwn()
    {
        var sft = new SftConfig { OutDir = "o", InitCheckpoint = "m", BatchSize = 0, Epochs = 0, ValFraction = 1 };
        Assert.Equal([nameof(SftConfig.Epochs), nameof(TrainerConfig.BatchSize), nameof(TrainerConfig.ValFraction)], sft.Problems().Select(p => p.Field));
        Assert.Equal("batch size 0 must be ≥ 1", sft.Problems().Single(p => p.Field == nameof(TrainerConfig.BatchSize)).Message);

        var ppo = new PpoConfig { OutDir = "o", BatchSize = 4, MinibatchSize = 8 };
        Assert.Equal("minibatch 8 must be in [1, batch 4]", Assert.Single(ppo.Problems(), p => p.Field == nameof(PpoConfig.MinibatchSize)).Message);

        var dpo = new DpoConfig { OutDir = "o", InitCheckpoint = "m", Loss = IpoLoss.LossName, LabelSmoothing = 0.1f };
        Assert.Equal(nameof(DpoConfig.LabelSmoothing), Assert.Single(dpo.Problems()).Field);
        Assert.Equal(nameof(GrpoConfig.Tolerance), Assert.Single(new GrpoConfig { OutDir = "o", InitCheckpoint = "m", Tolerance = -1 }.Problems()).Field);
    }

    [Fact]
    public void Validate_ThrowsWithEveryProblem()
    {
        var e = Assert.Throws<TrainingException>(() => new GrpoConfig { OutDir = "o", InitCheckpoint = "m", Group = 1, LearningRate = 0 }.Validate());
        Assert.StartsWith("invalid GRPO settings: ", e.Message);
        Assert.Contains("group size 1 must be ≥ 2", e.Message);
        Assert.Contains("learning rate 0 must be positive", e.Message);
    }
}
