using Rlhf.Models;
using Rlhf.Tensors.Optim;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Pretrain;
using Rlhf.Training.Sft;
using Rlhf.Data;

namespace Rlhf.Training.Tests.Common;

public sealed class TrainingCheckpointTests : IDisposable
{
    private readonly TempDir _tmp = new();

    public void Dispose() => _tmp.Dispose();

    private static TrainerState<PretrainConfig, PackedSamplerState> State(string outDir, int step)
    {
        var sampler = new PackedBatchSampler(TrainingFixtures.Corpus(2), 2, 8, seed: 4);
        sampler.Next();
        var config = new PretrainConfig { OutDir = outDir, Model = TrainingFixtures.TinyModel(), LearningRate = 3e-4f, MinLearningRate = 1e-5f };
        return new(PretrainTrainer.Kind, step, double.NaN, -1, 123, config, sampler.GetState());
    }

    private static (Gpt, AdamW) Model()
    {
        var model = new Gpt(TrainingFixtures.TinyModel(), seed: 2);
        return (model, new AdamW(model.Parameters(), new AdamWConfig()));
    }

    [Fact]
    public void Save_SwapsAtomically_AndStateRoundTripsExactly()
    {
        string outDir = _tmp.File("run");
        var (model, optimizer) = Model();
        TrainingCheckpoint.Save(outDir, model, TrainingFixtures.Tokenizer, optimizer, State(outDir, 5));
        TrainingCheckpoint.Save(outDir, model, TrainingFixtures.Tokenizer, optimizer, State(outDir, 10));
        Assert.Equal(["checkpoint"], Directory.GetDirectories(outDir).Select(Path.GetFileName));
        var (dir, state) = TrainingCheckpoint.ReadState<PretrainConfig, PackedSamplerState>(outDir, PretrainTrainer.Kind);
        Assert.Equal(Path.Combine(outDir, "checkpoint"), dir);
        var expected = State(outDir, 10);
        Assert.Equal(expected with { Config = state.Config, BestValLoss = 0 }, state with { BestValLoss = 0 }); // NaN ≠ NaN
        Assert.True(double.IsNaN(state.BestValLoss));
        Assert.Equal(expected.Config, state.Config);
        Assert.Equal(["config.json", "model.safetensors", "optimizer.safetensors", "tokenizer.json", "trainer_state.json"],
            Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Find_FallsBackToTheOldCheckpoint_WhenASaveDiedBetweenItsRenames()
    {
        string outDir = _tmp.File("run");
        var (model, optimizer) = Model();
        TrainingCheckpoint.Save(outDir, model, TrainingFixtures.Tokenizer, optimizer, State(outDir, 5));
        Directory.Move(Path.Combine(outDir, "checkpoint"), Path.Combine(outDir, "checkpoint.old"));
        Directory.CreateDirectory(Path.Combine(outDir, "checkpoint.tmp")); // half-written new one
        Assert.Equal(5, TrainingCheckpoint.ReadState<PretrainConfig, PackedSamplerState>(outDir, PretrainTrainer.Kind).State.Step);
        TrainingCheckpoint.Save(outDir, model, TrainingFixtures.Tokenizer, optimizer, State(outDir, 6));
        Assert.Equal(["checkpoint"], Directory.GetDirectories(outDir).Select(Path.GetFileName));
        Assert.Equal(6, TrainingCheckpoint.ReadState<PretrainConfig, PackedSamplerState>(outDir, PretrainTrainer.Kind).State.Step);
    }

    [Fact]
    public void ReadState_RefusesAnotherTrainersCheckpoint_AndMalformedState()
    {
        string outDir = _tmp.File("run");
        var (model, optimizer) = Model();
        TrainingCheckpoint.Save(outDir, model, TrainingFixtures.Tokenizer, optimizer, State(outDir, 1));
        var e = Assert.Throws<TrainingException>(() => TrainingCheckpoint.ReadState<SftConfig, SftSamplerState>(outDir, SftTrainer.Kind));
        Assert.Contains("pretrain trainer, not sft", e.Message);
        string path = Path.Combine(outDir, "checkpoint", TrainingCheckpoint.StateFile);
        File.WriteAllText(path, "{\"kind\": \"pretrain\"");
        var f = Assert.Throws<DataFormatException>(() => TrainingCheckpoint.ReadState<PretrainConfig, PackedSamplerState>(outDir, PretrainTrainer.Kind));
        Assert.StartsWith(path, f.Message);
    }

    [Fact]
    public void CheckResumable_AllowsRunLengthAndCadence_RejectsTheRest()
    {
        var saved = new SftConfig { OutDir = "a", Model = TrainingFixtures.TinyModel(), Epochs = 1 };
        TrainerConfig.CheckResumable(saved, saved with { OutDir = "b", Epochs = 3, MaxSteps = 50, EvalInterval = 7, EvalBatches = 1, CheckpointInterval = 9 });
        var e = Assert.Throws<TrainingException>(() => TrainerConfig.CheckResumable(saved, saved with { Seed = 2, Model = TrainingFixtures.TinyModel(16) }));
        Assert.Contains("seed 1337 → 2", e.Message);
        Assert.Contains("model", e.Message);
    }

    [Fact]
    public void GradientCheckpointing_ReachesTheModel_AndMayChangeOnResume_WhileFrozenDtypeMayNot()
    {
        var config = new PretrainConfig { OutDir = _tmp.File("gc"), Model = TrainingFixtures.TinyModel(), GradientCheckpointing = true };
        var (model, _, _, _) = TrainingSetup.Start<PretrainConfig, PackedSamplerState>(config, PretrainTrainer.Kind, resume: false, TrainingFixtures.Tokenizer);
        Assert.True(model.GradientCheckpointing);
        Assert.False(TrainingSetup.Start<PretrainConfig, PackedSamplerState>(config with { GradientCheckpointing = false }, PretrainTrainer.Kind, resume: false,
            TrainingFixtures.Tokenizer).Model.GradientCheckpointing);
        TrainerConfig.CheckResumable(config, config with { GradientCheckpointing = false }); // same values and gradients: a session setting
        var e = Assert.Throws<TrainingException>(() => TrainerConfig.CheckResumable(config, config with { FrozenDtype = Rlhf.Tensors.Dtype.BF16 }));
        Assert.Contains("frozen_dtype \"F32\" → \"BF16\"", e.Message);
    }

    [Fact]
    public void Schedule_WarmsUpThenDecaysToTheFloorAtTheLastStep()
    {
        var s = new PretrainConfig { OutDir = "x", LearningRate = 1e-3f, WarmupSteps = 100 }.Schedule(10);
        Assert.Equal((1e-3f, 1e-3f / 10, 10, 10), (s.MaxLr, s.MinLr, s.WarmupSteps, s.DecaySteps));
        var t = new SftConfig { OutDir = "x" }.Schedule(100);
        Assert.Equal((1e-4f, 1e-4f / 10, 10, 100), (t.MaxLr, t.MinLr, t.WarmupSteps, t.DecaySteps));
    }
}
