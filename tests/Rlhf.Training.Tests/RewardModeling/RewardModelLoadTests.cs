using Rlhf.Models;

namespace Rlhf.Training.Tests.RewardModeling;

/// <summary>A reward model that cannot give a usable reward is refused at load with a message naming the file and the problem.</summary>
public class RewardModelLoadTests
{
    private static readonly GptConfig Tiny = new(NLayer: 1, NHead: 2, NEmbd: 8, NPositions: 8, VocabSize: 12);

    private static string Saved(Action<RewardModel> spoil)
    {
        var rm = new RewardModel(new Gpt(Tiny, seed: 1), seed: 2) { Mean = 0.5f, Std = 2f };
        spoil(rm);
        string dir = Path.Combine(Path.GetTempPath(), "rlhf-rmload-" + Guid.NewGuid().ToString("N"));
        rm.Save(dir);
        return dir;
    }

    [Fact]
    public void Healthy_Loads_WithItsNormalisation()
    {
        var rm = RewardModel.Load(Saved(_ => { }));
        Assert.Equal((0.5f, 2f), (rm.Mean, rm.Std));
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(float.NaN)]
    [InlineData(-1f)]
    [InlineData(float.PositiveInfinity)]
    public void BadStd_Refused(float std)
    {
        var e = Assert.Throws<InvalidDataException>(() => RewardModel.Load(Saved(rm => rm.Std = std)));
        Assert.Contains("reward_std", e.Message);
    }

    [Fact]
    public void NaNMean_Refused() =>
        Assert.Contains("reward_mean", Assert.Throws<InvalidDataException>(() => RewardModel.Load(Saved(rm => rm.Mean = float.NaN))).Message);

    [Fact]
    public void NaNHead_EveryScoreNaN_Refused()
    {
        var e = Assert.Throws<InvalidDataException>(() => RewardModel.Load(Saved(rm => rm.Head.Weight.Span.Fill(float.NaN))));
        Assert.Contains("probe", e.Message);
    }

    [Fact]
    public void InfiniteTrunkWeight_Refused() =>
        Assert.Throws<InvalidDataException>(() => RewardModel.Load(Saved(rm => rm.Trunk.Parameters()[0].Span.Fill(float.PositiveInfinity))));
}
