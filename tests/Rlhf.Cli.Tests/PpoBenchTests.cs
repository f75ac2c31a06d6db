using Rlhf.Models;

namespace Rlhf.Cli.Tests;

/// <summary><c>rlhf bench ppo</c>'s workload on a tiny model (the real one is config B, too slow for a test).</summary>
public sealed class PpoBenchTests
{
    [Fact]
    public void OneIteration_IsSplitIntoPhasesThatAddUp()
    {
        var r = Rlhf.Cli.Bench.PpoBench.Run(new GptConfig(2, 2, 16, 96, 300), "tiny", prompts: 4, newTokens: 4, warmup: 0, TextWriter.Null);
        Assert.Equal(4, r.Prompts);
        Assert.InRange(r.GeneratedTokens, 4, 16);
        // phases are rounded to 1 ms, so a tiny model's fastest phase may read 0: only the total is surely positive
        Assert.True(r.GenerateS >= 0 && r.RewardS >= 0 && r.ReferenceValueS >= 0 && r.UpdateS >= 0 && r.TotalS > 0, $"{r}");
        Assert.True(Math.Abs(r.GenerateS + r.RewardS + r.ReferenceValueS + r.UpdateS - r.TotalS) <= 0.003, $"{r}"); // 4 + 1 values each rounded to 1 ms: at most 5 × 0.5 ms apart
        Assert.Contains("\"generate_pct\"", Rlhf.Cli.Bench.BenchJson.Line(r));
    }

    [Fact]
    public void LlamaFamilyPreset_RunsAnIterationWithItsOwnParameterCount()
    {
        var r = Rlhf.Cli.Bench.PpoBench.Run(seed => Rlhf.Cli.Bench.ModelBench.Build("llama-tiny", seed), "llama-tiny", prompts: 4, newTokens: 4, warmup: 0, TextWriter.Null);
        Assert.Equal(LlamaPresets.Get("tiny").ParameterCount, r.Params);
        Assert.InRange(r.GeneratedTokens, 4, 16);
        Assert.True(r.TotalS > 0, $"{r}");
    }

    [Fact]
    public void FrozenBf16_AndSyntheticVocabulary_RunWithPeakRss()
    {
        // a vocabulary above 8192 takes the synthetic-merge tokenizer (as GPT-2's 50257 does); frozen models in bf16
        var r = Rlhf.Cli.Bench.PpoBench.Run(new GptConfig(1, 2, 16, 96, 9000), "tiny", prompts: 4, newTokens: 4, warmup: 0, TextWriter.Null,
            Rlhf.Tensors.Dtype.BF16, gradCheckpoint: true);
        Assert.Equal("bf16", r.FrozenDtype);
        Assert.True(r.GradCheckpoint);
        Assert.InRange(r.GeneratedTokens, 4, 16);
        Assert.True(r.PeakRssMb > 0, $"{r}");
        var line = Rlhf.Cli.Bench.BenchJson.Line(r);
        Assert.Contains("\"peak_rss_mb\"", line);
        Assert.Contains("\"frozen_dtype\":\"bf16\"", line);
    }

    [Fact]
    public void Lora_TrainsAdaptersWithTheCriticOnThePolicyTrunk_ForTheGivenEpochs()
    {
        // LoRA policy, reference = its base view, critic = head on its trunk; one epoch instead of four
        var r = Rlhf.Cli.Bench.PpoBench.Run(new GptConfig(2, 2, 16, 96, 300), "tiny", prompts: 4, newTokens: 4, warmup: 0, TextWriter.Null,
            Rlhf.Tensors.Dtype.BF16, loraRank: 2, epochs: 1);
        Assert.Equal(2, r.LoraR);
        Assert.Equal(1, r.Epochs);
        Assert.Equal("bf16", r.FrozenDtype);
        Assert.InRange(r.GeneratedTokens, 4, 16);
        Assert.Contains("\"lora_r\":2", Rlhf.Cli.Bench.BenchJson.Line(r));
    }

    [Fact]
    public void Profile_reports_per_op_forward_and_backward_totals_and_switches_the_profiler_off_again()
    {
        bool before = Rlhf.Tensors.Autograd.OpProfiler.Enabled; // RLHF_PROFILE=1 turns it on for the whole process
        var report = new StringWriter();
        var r = Rlhf.Cli.Bench.ProfiledRun.Run(true, report, () =>
            Rlhf.Cli.Bench.PpoBench.Run(new GptConfig(2, 2, 16, 96, 300), "tiny", prompts: 4, newTokens: 4, warmup: 0, TextWriter.Null));
        Assert.Equal(4, r.Prompts);
        var lines = report.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.StartsWith("per-op time", lines[0]);
        // the PPO update runs linear layers forward and backward: the Linear op has calls and backward time
        var linear = Assert.Single(lines, l => l.StartsWith("Linear ", StringComparison.Ordinal));
        Assert.Matches(@"calls\s+[1-9]\d*\s+forward\s+[\d.]+ ms\s+backward\s+[\d.]+ ms", linear);
        Assert.Equal(before, Rlhf.Tensors.Autograd.OpProfiler.Enabled);
        var quiet = new StringWriter();
        Rlhf.Cli.Bench.ProfiledRun.Run(false, quiet, () => 0);
        Assert.Equal("", quiet.ToString());
    }
}
