using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors.Serialization;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Data.Progress;
using Rlhf.Data.Metrics;

namespace Rlhf.Training.Tests.Common;

/// <summary>Tiny tokenizers, corpora and checks shared by the trainer tests.</summary>
internal static class TrainingFixtures
{
    /// <summary>A byte-level tokenizer with 32 merges learned from <see cref="Text"/> (vocab 289).</summary>
    public static readonly BpeTokenizer Tokenizer = BpeTrainer.Train(Text(), 256 + 32 + 1);

    /// <summary>No progress display: tests never start a live one.</summary>
    public static readonly IProgressReporter Quiet = NullProgress.Instance;

    /// <summary>Progress that writes only the messages a trainer logs beside the display into <paramref name="log"/>.</summary>
    public static IProgressReporter MessagesTo(TextWriter log) => new MessageProgress(log);

    private sealed class MessageProgress(TextWriter log) : IProgressReporter, ITrainingProgress
    {
        public ITrainingProgress Start(string title, int totalSteps, int startStep = 0) => this;
        public void Update(int step, double loss, double tokensPerSecond) { }
        public void Log(string message) => log.WriteLine(message);
        public void Dispose() { }
    }

    /// <summary>A small repetitive English text (a few sentences in a fixed rotation).</summary>
    public static string Text(int repeats = 40)
    {
        string[] lines =
        [
            "the cat sat on the mat.", "a dog ran in the park.", "the sun is warm today.",
            "we read a book at night.", "birds sing in the tree.", "the cat ran to the dog.",
        ];
        var text = new System.Text.StringBuilder();
        for (int r = 0; r < repeats; r++)
            foreach (string line in lines) text.Append(line).Append('\n');
        return text.ToString();
    }

    /// <summary>The corpus of <see cref="Text"/> as one document.</summary>
    public static TokenDataset Corpus(int repeats = 40) =>
        new(Tokenizer.Encode(Text(repeats)).Append(Tokenizer.EndOfTextId).ToArray());

    /// <summary>A 2-layer, d=16 model over the fixture tokenizer's vocab with context <paramref name="context"/>.</summary>
    public static GptConfig TinyModel(int context = 32) => new(2, 2, 16, context, Tokenizer.VocabSize);

    /// <summary>Asserts two safetensors files hold the same tensor names with bit-identical values.</summary>
    public static void AssertSameTensors(string expectedPath, string actualPath)
    {
        var a = Safetensors.Load(expectedPath);
        var b = Safetensors.Load(actualPath);
        Assert.Equal(a.Tensors.Keys, b.Tensors.Keys);
        foreach (var (name, t) in a.Tensors)
        {
            var x = t.ToArray();
            var y = b.Tensors[name].ToArray();
            Assert.Equal(x.Length, y.Length);
            for (int i = 0; i < x.Length; i++)
                if (BitConverter.SingleToInt32Bits(x[i]) != BitConverter.SingleToInt32Bits(y[i]))
                    Assert.Fail($"{name}[{i}]: {x[i]:R} vs {y[i]:R}");
        }
    }

    /// <summary>
    /// A model directory (HF layout + tokenizer) of <see cref="TinyModel"/> whose final LayerNorm bias holds a NaN: every
    /// output, loss and gradient is non-finite, so a trainer's every step must take the skip path.
    /// </summary>
    public static string PoisonedModel(string dir, int context = 32)
    {
        var model = new Gpt(TinyModel(context), 11);
        model.LnF.Bias.Span[0] = float.NaN;
        Rlhf.Models.Checkpoints.HfCheckpoint.Save(dir, model);
        Tokenizer.Save(dir);
        return dir;
    }

    /// <summary>
    /// The skip path acted on every step: each step logged a non-finite gradient norm, and the run's weights are the
    /// poisoned init's, bit for bit (no update was applied).
    /// </summary>
    public static void AssertEveryStepSkipped(string outDir, string initDir, int steps)
    {
        var logged = MetricsReader.Read(Path.Combine(outDir, TrainingSetup.MetricsFile)).Where(e => e.Step > 0).ToList();
        Assert.Equal(steps, logged.Count);
        Assert.All(logged, e => Assert.True(e.Get("grad_norm") is double g && !double.IsFinite(g), $"step {e.Step}: grad_norm {e.Get("grad_norm")}"));
        var init = Safetensors.Load(Path.Combine(initDir, Rlhf.Models.Checkpoints.HfCheckpoint.WeightsFile));
        var saved = Safetensors.Load(Path.Combine(outDir, RunLayout.CheckpointDirectory, Rlhf.Models.Checkpoints.HfCheckpoint.WeightsFile));
        foreach (var (name, t) in init.Tensors) // the trunk; a reward model's fresh head comes on top
        {
            var x = t.ToArray();
            var y = saved.Tensors[name].ToArray();
            for (int i = 0; i < x.Length; i++)
                if (BitConverter.SingleToInt32Bits(x[i]) != BitConverter.SingleToInt32Bits(y[i]))
                    Assert.Fail($"{name}[{i}] changed: {x[i]:R} → {y[i]:R}");
        }
    }

    /// <summary>A run given a wall-time limit of 0 stops before its first step, as stopped, with a checkpoint of step 0 to resume.</summary>
    public static void AssertStoppedAtZeroWithCheckpoint(string outDir, bool stopped, int step)
    {
        Assert.True(stopped, "a wall-time limit of 0 should stop the run");
        Assert.Equal(0, step);
        string state = File.ReadAllText(Path.Combine(TrainingCheckpoint.Find(outDir) ?? throw new Xunit.Sdk.XunitException($"no checkpoint in {outDir}"), TrainingCheckpoint.StateFile));
        Assert.Matches("\"(step|iteration)\": 0,", state);
    }

    /// <summary>Asserts two metrics logs have the same steps and bit-identical values, ignoring timing fields.</summary>
    public static void AssertSameMetrics(string expectedPath, string actualPath)
    {
        var a = MetricsReader.Read(expectedPath);
        var b = MetricsReader.Read(actualPath);
        Assert.Equal(a.Select(e => e.Step), b.Select(e => e.Step));
        for (int i = 0; i < a.Count; i++)
        {
            var keys = a[i].Values.Keys.Where(k => k != "tokens_per_s").ToList();
            Assert.Equal(keys, b[i].Values.Keys.Where(k => k != "tokens_per_s"));
            foreach (string k in keys)
                Assert.True(BitConverter.DoubleToInt64Bits(a[i].Values[k]) == BitConverter.DoubleToInt64Bits(b[i].Values[k]),
                    $"step {a[i].Step} {k}: {a[i].Values[k]:R} vs {b[i].Values[k]:R}");
        }
    }
}

/// <summary>Thrown by a test hook to simulate a process dying mid-run.</summary>
internal sealed class SimulatedCrash : Exception;
