using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;
using Rlhf.Training.Tests.Common;
using Rlhf.Data.Preferences;
using Rlhf.Training.RewardModeling;
using Rlhf.Training.Scoring;

namespace Rlhf.Training.Tests.RewardModeling;

public sealed class RewardTrainerEnsembleTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    [Fact]
    public void Ensemble_DisagreesMoreOnRandomStringsThanOnHeldOutCompletions()
    {
        var (tok, init) = RewardTrainerTests.Base(_tmp.File("base"));
        File.WriteAllLines(_tmp.File("prefs.jsonl"), RewardTrainerTests.RankedLines(160, seed: 11));
        var data = PreferenceData.Load(_tmp.File("prefs.jsonl"));
        var members = Enumerable.Range(0, 3).Select(i =>
        {
            var config = new RewardConfig
            {
                OutDir = _tmp.File($"member-{i}"), InitCheckpoint = init, BatchSize = 8, MaxSteps = 100, LearningRate = 3e-3f, WarmupSteps = 5,
                EvalBatches = 0, ValFraction = 0.25, Seed = 3 + (ulong)i,
            };
            return RewardModel.Load(new RewardTrainer(config, tok, data, TextWriter.Null, TrainingFixtures.Quiet).Run().Directory);
        }).ToList();
        var ensemble = new RewardEnsemble(members);
        var template = new ChatTemplate(tok);

        var (_, held) = data.Split(0.25, 3);
        var inDist = new RewardCollator(template, 32).Encode(held.Records, out _).SelectMany(r => r.Sequences).ToList();
        var rng = new Rng(21);
        const string alphabet = "qxzjkvwy#%&@!?0123456789";
        var offDist = Enumerable.Range(0, inDist.Count).Select(_ => template.Encode("say " + Word(), Word() + " " + Word() + " " + Word()).Ids)
            .Where(ids => ids.Length <= 32).ToList();
        string Word() => new(Enumerable.Range(0, 4).Select(_ => alphabet[rng.NextInt(alphabet.Length)]).ToArray());

        double MeanStd(List<int[]> seqs)
        {
            var (ids, mask, t) = RewardCollator.Pad(seqs, tok.PadId);
            return ensemble.Score(ids, seqs.Count, t, mask).Std.Average();
        }
        double a = MeanStd(inDist), b = MeanStd(offDist);
        Assert.True(b > a, $"mean ensemble std: held-out completions {a:F3}, random strings {b:F3}");
    }
}
