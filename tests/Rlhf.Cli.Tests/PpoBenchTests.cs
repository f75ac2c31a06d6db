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
}
