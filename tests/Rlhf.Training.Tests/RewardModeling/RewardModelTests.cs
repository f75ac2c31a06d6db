using Rlhf.Models;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Training.RewardModeling;

namespace Rlhf.Training.Tests.RewardModeling;

public class RewardModelTests
{
    private static readonly GptConfig Tiny = new(NLayer: 2, NHead: 2, NEmbd: 32, NPositions: 16, VocabSize: 20);

    /// <summary>
    /// Easy synthetic preference: between two random sequences, the one with more occurrences of token 7 is
    /// preferred (ties dropped). Each training batch holds 16 pairs = 32 sequences.
    /// </summary>
    private static (int[] Ids, List<ScorePair> Pairs) Batch(Rng rng, int pairs, int T)
    {
        var ids = new int[2 * pairs * T];
        var result = new List<ScorePair>();
        for (int p = 0; p < pairs; p++)
        {
            int c0 = 0, c1 = 0;
            do
            {
                c0 = c1 = 0;
                for (int t = 0; t < T; t++)
                {
                    ids[(2 * p) * T + t] = rng.NextInt(Tiny.VocabSize);
                    ids[(2 * p + 1) * T + t] = rng.NextInt(Tiny.VocabSize);
                    c0 += ids[(2 * p) * T + t] == 7 ? 1 : 0;
                    c1 += ids[(2 * p + 1) * T + t] == 7 ? 1 : 0;
                }
            } while (c0 == c1);
            result.Add(c0 > c1 ? new ScorePair(2 * p, 2 * p + 1) : new ScorePair(2 * p + 1, 2 * p));
        }
        return (ids, result);
    }

    [Fact]
    public void RewardModel_LearnsAnEasyPreference_AboveNinetyFivePercentHeldOut()
    {
        const int T = 12;
        var rm = new RewardModel(new Gpt(Tiny, seed: 1), seed: 2);
        var opt = new AdamW(rm.Parameters(), new AdamWConfig(LearningRate: 3e-3f, WeightDecay: 0f));
        var train = new Rng(3);
        for (int step = 0; step < 250; step++)
        {
            var (ids, pairs) = Batch(train, 16, T);
            opt.ZeroGrad();
            RankingLoss.Compute(rm.Scores(ids, 32, T), pairs, groups: 16).Backward();
            opt.Step();
        }
        var (heldIds, heldPairs) = Batch(new Rng(99), 200, T);
        float[] scores;
        using (Tensor.NoGrad()) scores = rm.Scores(heldIds, 400, T).ToArray();
        double accuracy = RankingLoss.Accuracy(scores, heldPairs);
        Assert.True(accuracy >= 0.95, $"held-out pairwise accuracy {accuracy:P1}");
    }

    [Fact]
    public void RewardModel_SaveLoad_KeepsScoresAndNormalisation()
    {
        var rm = new RewardModel(new Gpt(Tiny, seed: 4), seed: 5) { Mean = 0.25f, Std = 2f };
        string dir = Path.Combine(Path.GetTempPath(), "rlhf-rm-" + Guid.NewGuid().ToString("N"));
        try
        {
            rm.Save(dir);
            var loaded = RewardModel.Load(dir);
            var ids = new int[3 * 8];
            for (int i = 0; i < ids.Length; i++) ids[i] = i % Tiny.VocabSize;
            using var _ = Tensor.NoGrad();
            Assert.Equal(rm.Scores(ids, 3, 8).ToArray(), loaded.Scores(ids, 3, 8).ToArray());
            Assert.Equal(0.25f, loaded.Mean);
            Assert.Equal(2f, loaded.Std);
            Assert.Equal((1f - 0.25f) / 2f, loaded.Normalize(1f));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void RewardModel_LoadOfAPlainLanguageModel_SaysItIsNotARewardModel()
    {
        string dir = Path.Combine(Path.GetTempPath(), "rlhf-rm-" + Guid.NewGuid().ToString("N"));
        try
        {
            Rlhf.Models.Checkpoints.HfCheckpoint.Save(dir, new Gpt(Tiny));
            var ex = Assert.Throws<InvalidDataException>(() => RewardModel.Load(dir));
            Assert.Contains("not a reward model checkpoint", ex.Message);
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
