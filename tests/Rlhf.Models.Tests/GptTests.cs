using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Generation;
using Rlhf.Models.Heads;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Models.Tests;

public class GptTests
{
    private static readonly GptConfig Small = new(NLayer: 2, NHead: 2, NEmbd: 32, NPositions: 32, VocabSize: 48);

    [Fact]
    public void ParameterCount_ConfigA_MatchesPeer()
    {
        // 13.9M with tied embeddings, as the PyTorch peer reports
        Assert.Equal(13_891_584, new Gpt(GptConfig.A).ParameterCount);
    }

    [Fact]
    public void TinyModel_OverfitsOneBatch()
    {
        var model = new Gpt(Small, seed: 3);
        var (first, last) = ModelTestData.OverfitOneBatch(model);
        Assert.InRange(first, 3.5f, 4.3f); // ≈ ln 48 = 3.87 at init
        Assert.True(last < 0.05f, $"loss after 150 steps is {last}");
    }

    [Fact]
    public void HfCheckpoint_SaveLoad_GivesIdenticalLogits_AndHfKeyNames()
    {
        var model = new Gpt(Small, seed: 5);
        string dir = Path.Combine(Path.GetTempPath(), "rlhf-test-" + Guid.NewGuid().ToString("N"));
        try
        {
            HfCheckpoint.Save(dir, model, eosTokenId: 47);
            var file = Safetensors.Load(Path.Combine(dir, HfCheckpoint.WeightsFile));
            Assert.Contains("transformer.h.0.attn.c_attn.weight", file.Tensors.Keys);
            Assert.Equal([32, 96], file.Get("transformer.h.0.attn.c_attn.weight").ShapeArray()); // Conv1D (in, out)
            Assert.Contains("transformer.wte.weight", file.Tensors.Keys);
            Assert.DoesNotContain("lm_head.weight", file.Tensors.Keys);

            var loaded = HfCheckpoint.Load(dir);
            Assert.Equal(Small, loaded.Config);
            var ids = ModelTestData.RandomIds(9, 2 * 10, Small.VocabSize);
            using var _ = Tensor.NoGrad();
            Assert.Equal(model.Logits(model.Forward(ids, 2, 10)).ToArray(), loaded.Logits(loaded.Forward(ids, 2, 10)).ToArray());
        }
        finally { Directory.Delete(dir, recursive: true); }
    }

    [Fact]
    public void HfCheckpoint_MissingAndMisshapedTensors_AreAllNamed()
    {
        var model = new Gpt(Small, seed: 5);
        var tensors = model.Parameters().ToDictionary(p => "transformer." + p.Name!, p => p);
        tensors.Remove("transformer.h.1.mlp.c_fc.bias");
        tensors["transformer.ln_f.weight"] = Tensor.Zeros(31);
        var file = Safetensors.Read(Safetensors.Serialize(tensors), "bad.safetensors");
        var ex = Assert.Throws<InvalidDataException>(() => HfCheckpoint.LoadInto(new Gpt(Small).Parameters(), file, "transformer."));
        Assert.Contains("bad.safetensors", ex.Message);
        Assert.Contains("missing tensor 'h.1.mlp.c_fc.bias'", ex.Message);
        Assert.Contains("'ln_f.weight' has shape [31]", ex.Message);
    }

    [Fact]
    public void KvCacheGeneration_MatchesFullRecomputation_WithLeftPaddedPrompts()
    {
        var model = new Gpt(Small, seed: 7);
        int eot = Small.VocabSize - 1;
        var prompts = new[] { ModelTestData.RandomIds(1, 5, eot), ModelTestData.RandomIds(2, 9, eot), ModelTestData.RandomIds(3, 1, eot) };
        var config = new GenerationConfig(MaxNewTokens: 12, Temperature: 1f, StopAtEndOfText: false);
        var results = Generator.Generate(model, prompts, eot, config, new Rng(11));
        using var _ = Tensor.NoGrad();
        for (int b = 0; b < prompts.Length; b++)
        {
            var r = results[b];
            Assert.Equal(12, r.Completion.Length);
            // full forward over prompt + completion, unpadded, one row: log-softmax at each step
            int[] seq = [.. r.Prompt, .. r.Completion];
            int T = seq.Length;
            var logits = model.Logits(model.Forward(seq, 1, T)).ToArray();
            int V = Small.VocabSize;
            for (int i = 0; i < r.Completion.Length; i++)
            {
                int pos = r.Prompt.Length - 1 + i; // logits at pos predict token pos + 1
                var row = logits.AsSpan(pos * V, V);
                double max = double.NegativeInfinity;
                foreach (float v in row) max = Math.Max(max, v);
                double z = 0;
                foreach (float v in row) z += Math.Exp(v - max);
                double expected = row[r.Completion[i]] - max - Math.Log(z);
                Assert.True(Math.Abs(expected - r.LogProbs[i]) < 2e-4, $"row {b} token {i}: cached log-prob {r.LogProbs[i]} vs full {expected}");
            }
        }
    }

    [Fact]
    public void Generation_IsDeterministicForASeed_AndStopsAtEndOfText()
    {
        var model = new Gpt(Small, seed: 8);
        var prompts = new[] { ModelTestData.RandomIds(4, 3, Small.VocabSize), ModelTestData.RandomIds(5, 6, Small.VocabSize) };
        var config = new GenerationConfig(MaxNewTokens: 20, Temperature: 1.5f, TopK: 10, TopP: 0.9f);

        // without stopping every row runs to MaxNewTokens; the same seed gives the same tokens and log-probs
        var free = Generator.Generate(model, prompts, 0, config with { StopAtEndOfText = false }, new Rng(1));
        var again = Generator.Generate(model, prompts, 0, config with { StopAtEndOfText = false }, new Rng(1));
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(config.MaxNewTokens, free[i].Completion.Length);
            Assert.Equal(free[i].Completion, again[i].Completion);
            Assert.Equal(free[i].LogProbs, again[i].LogProbs);
        }

        // end-of-text = the token row 0 samples third: row 0 surely meets it, and every row stops at its first
        // occurrence (included, nothing after), with the same tokens before it as the free run (rows sample
        // independently), or runs to the end if it never samples it
        int eot = free[0].Completion[2];
        var a = Generator.Generate(model, prompts, eot, config, new Rng(1));
        var b = Generator.Generate(model, prompts, eot, config, new Rng(1));
        for (int i = 0; i < prompts.Length; i++)
        {
            Assert.Equal(a[i].Completion, b[i].Completion);
            Assert.Equal(a[i].LogProbs, b[i].LogProbs);
            int first = Array.IndexOf(free[i].Completion, eot);
            int length = first >= 0 ? first + 1 : config.MaxNewTokens;
            Assert.Equal(free[i].Completion[..length], a[i].Completion);
            Assert.Equal(free[i].LogProbs[..length], a[i].LogProbs);
            Assert.Equal(first >= 0, a[i].Finished);
        }
        Assert.True(a[0].Finished && a[0].Completion.Length <= 3, "row 0 stops at the end-of-text token it samples third");
    }

    [Fact]
    public void Generation_PromptTooLongForContext_ClearError()
    {
        var model = new Gpt(Small);
        var ex = Assert.Throws<ArgumentException>(() =>
            Generator.Generate(model, [new int[30]], 0, new GenerationConfig(MaxNewTokens: 5), new Rng(1)));
        Assert.Contains("exceeds the model context 32", ex.Message);
    }

    [Fact]
    public void Sampler_TopK1_IsGreedy_AndTemperatureZeroIsArgmax()
    {
        float[] logits = [0.1f, 2f, -1f, 1.9f];
        var scratch = new float[4];
        var rng = new Rng(3);
        for (int i = 0; i < 20; i++)
            Assert.Equal(1, Sampler.Sample(logits, new GenerationConfig(TopK: 1), rng, scratch).Token);
        var (token, lp) = Sampler.Sample(logits, new GenerationConfig(Temperature: 0), rng, scratch);
        Assert.Equal(1, token);
        double z = logits.Sum(v => Math.Exp(v));
        Assert.Equal(Math.Log(Math.Exp(2) / z), lp, 5);
    }

    [Fact]
    public void Sampler_TopP_KeepsOnlyTheNucleus()
    {
        // probabilities ∝ e^logit: 0.64, 0.24, 0.09, 0.03 → top-p 0.7 keeps the first two
        float[] logits = [MathF.Log(0.64f), MathF.Log(0.24f), MathF.Log(0.09f), MathF.Log(0.03f)];
        var rng = new Rng(4);
        var seen = new HashSet<int>();
        for (int i = 0; i < 400; i++) seen.Add(Sampler.Sample(logits, new GenerationConfig(TopP: 0.7f), rng, new float[4]).Token);
        Assert.Equal([0, 1], seen.Order().ToArray());
    }

    [Fact]
    public void Sampler_VocabularyLimit_NeverDrawsTheIdsAboveIt_AndKeepsTheFullSoftmaxLogProb()
    {
        // a padded embedding: ids 3 and 4 carry most of the mass but no tokenizer has them
        float[] logits = [0.5f, 0f, -0.5f, 3f, 2.5f];
        var rng = new Rng(6);
        var seen = new HashSet<int>();
        double z = logits.Sum(v => Math.Exp(v));
        for (int i = 0; i < 300; i++)
        {
            var (token, lp) = Sampler.Sample(logits, new GenerationConfig { VocabularyLimit = 3 }, rng, new float[5]);
            seen.Add(token);
            Assert.Equal(Math.Log(Math.Exp(logits[token]) / z), lp, 5);
        }
        Assert.Equal([0, 1, 2], seen.Order().ToArray());
        Assert.Equal(0, Sampler.Sample(logits, new GenerationConfig(Temperature: 0) { VocabularyLimit = 3 }, rng, new float[5]).Token);
        Assert.Equal(3, Sampler.Sample(logits, new GenerationConfig(Temperature: 0) { VocabularyLimit = 5 }, rng, new float[5]).Token);
    }

    [Fact]
    public void RewardHead_ReadsTheLastRealToken_AndValueHeadIsPerToken()
    {
        var model = new Gpt(Small, seed: 2);
        var reward = new RewardHead(Small.NEmbd, new Rng(3));
        var value = new ValueHead(Small.NEmbd, new Rng(4));
        var ids = ModelTestData.RandomIds(6, 2 * 6, Small.VocabSize);
        bool[] mask = [true, true, true, true, false, false, true, true, true, true, true, true];
        var hidden = model.Forward(ids, 2, 6, mask);
        var scores = reward.Forward(hidden, mask);
        Assert.Equal([2], scores.ShapeArray());
        var h = hidden.ToArray();
        var w = reward.Weight.ToArray();
        double expected0 = 0, expected1 = 0;
        for (int c = 0; c < Small.NEmbd; c++)
        {
            expected0 += h[3 * Small.NEmbd + c] * w[c];        // row 0, t = 3 (last real)
            expected1 += h[(6 + 5) * Small.NEmbd + c] * w[c];  // row 1, t = 5
        }
        Assert.Equal(expected0, scores.ToArray()[0], 4);
        Assert.Equal(expected1, scores.ToArray()[1], 4);
        Assert.Equal([2, 6], value.Forward(hidden).ShapeArray());
        // gradient reaches the trunk through the gather
        scores.Backward(Tensor.Ones(2));
        Assert.NotNull(model.Wte.Grad);
    }

    [Fact]
    public void LeftPadding_DoesNotChangeTheRealTokensHiddenStates()
    {
        var model = new Gpt(Small, seed: 12);
        var prompt = ModelTestData.RandomIds(13, 5, Small.VocabSize);
        using var _ = Tensor.NoGrad();
        var plain = model.Forward(prompt, 1, 5).ToArray();
        int[] padded = [0, 0, 0, .. prompt];
        bool[] mask = [false, false, false, true, true, true, true, true];
        var withPad = model.Forward(padded, 1, 8, mask).ToArray();
        for (int i = 0; i < plain.Length; i++)
            Assert.True(Math.Abs(plain[i] - withPad[3 * Small.NEmbd + i]) < 1e-4, $"hidden[{i}]");
    }
}
