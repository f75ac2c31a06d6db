using System.Globalization;
using System.Reflection;

namespace Rlhf.Cli.Demo;

/// <summary>
/// Sizes and hyperparameters of one <c>rlhf demo</c> run. <see cref="Full"/> is the demo (≤ 15 minutes on 2 cores);
/// <see cref="Quick"/> runs every stage at toy size (≤ 3 minutes; CI's smoke test) and shows the plumbing, not the story.
/// </summary>
public sealed record DemoSettings
{
    // ---- data (the built-in review corpus)
    /// <summary>Pretraining documents.</summary>
    public int Documents { get; init; } = 30_000;
    /// <summary>SFT demonstrations.</summary>
    public int Demonstrations { get; init; } = 3_000;
    /// <summary>Prompts whose K samples the simulated labelers rank.</summary>
    public int LabelPrompts { get; init; } = 1_000;
    /// <summary>Prompts PPO trains on.</summary>
    public int RlPrompts { get; init; } = 500;
    /// <summary>Held-out prompts for best-of-N, DPO's KL/gold evaluation and the sample table.</summary>
    public int EvalPrompts { get; init; } = 48;
    /// <summary>BPE vocabulary size.</summary>
    public int VocabSize { get; init; } = 1024;

    // ---- model and pretraining
    /// <summary>Transformer layers.</summary>
    public int Layers { get; init; } = 4;
    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Model width.</summary>
    public int Dim { get; init; } = 128;
    /// <summary>Context length.</summary>
    public int Context { get; init; } = 96;
    /// <summary>Pretraining optimizer steps.</summary>
    public int PretrainSteps { get; init; } = 1_200;
    /// <summary>Pretraining rows per step.</summary>
    public int PretrainBatch { get; init; } = 16;
    /// <summary>SFT epochs over the demonstrations.</summary>
    public int SftEpochs { get; init; } = 1;

    // ---- human feedback and the reward model
    /// <summary>Samples per prompt the labelers rank (InstructGPT's K).</summary>
    public int K { get; init; } = 4;
    /// <summary>Simulated labelers.</summary>
    public int Labelers { get; init; } = 3;
    /// <summary>Labeler noise: the temperature of their Plackett–Luce choices over the gold score.</summary>
    public double LabelTemperature { get; init; } = 0.2;
    /// <summary>
    /// The labelers' length bias: gold-score bonus per 100 characters (people prefer longer answers; the RM learns it,
    /// and PPO exploits it). At 0.8 (seed 1) unleashed PPO games the RM with long templated text and the gold falls; at
    /// 0.7 or less it finds short positive answers that the gold likes too and does not over-optimise in 100 iterations.
    /// </summary>
    public double LabelLengthBias { get; init; } = 0.8;
    /// <summary>Reward-model ensemble members.</summary>
    public int RmMembers { get; init; } = 3;
    /// <summary>Reward-model epochs.</summary>
    public int RmEpochs { get; init; } = 2;
    /// <summary>Response length cap for every sampler.</summary>
    public int MaxNewTokens { get; init; } = 40;

    // ---- PPO, best-of-N, DPO
    /// <summary>PPO iterations of the unleashed run (no KL penalty, guard watching).</summary>
    public int PpoIterations { get; init; } = 100;
    /// <summary>Prompts per PPO iteration.</summary>
    public int PpoBatch { get; init; } = 32;
    /// <summary>PPO response length cap (longer than the others, so length hacking has room to show).</summary>
    public int PpoMaxNewTokens { get; init; } = 64;
    /// <summary>KL coefficient of the second PPO run (InstructGPT's β; the first runs unleashed, β = 0).</summary>
    public double PpoKlCoef { get; init; } = 0.05;
    /// <summary>PPO learning rate.</summary>
    public float PpoLr { get; init; } = 1e-4f;
    /// <summary>Largest n of the best-of-n curve.</summary>
    public int BonN { get; init; } = 32;
    /// <summary>DPO epochs over the ranked pairs.</summary>
    public int DpoEpochs { get; init; } = 1;

    // ---- GRPO on arithmetic (a separate tiny model: 3 layers, d = 128)
    /// <summary>Operand digits of the addition problems ("1", "2" or "2-3").</summary>
    public string GrpoDigits { get; init; } = "2";
    /// <summary>Training problems (the arithmetic model's pretraining corpus and GRPO's prompts).</summary>
    public int GrpoProblems { get; init; } = 5_000;
    /// <summary>Held-out problems for exact-match accuracy (never in the corpus, SFT or GRPO prompts).</summary>
    public int GrpoHeldOut { get; init; } = 200;
    /// <summary>Context of the arithmetic model (a worked 2-digit sum with its prompt is under 70 tokens).</summary>
    public int GrpoContext { get; init; } = 80;
    /// <summary>Pretraining steps of the arithmetic model.</summary>
    public int GrpoPretrainSteps { get; init; } = 1_500;
    /// <summary>GRPO iterations.</summary>
    public int GrpoIterations { get; init; } = 60;
    /// <summary>GRPO response length cap.</summary>
    public int GrpoMaxNewTokens { get; init; } = 64;

    /// <summary>
    /// These settings with <c>Name=value</c> overrides applied (e.g. <c>PpoIterations=200</c>), for tuning and for
    /// bigger runs; unknown names and unparsable values are errors naming the setting.
    /// </summary>
    public DemoSettings With(IEnumerable<string> overrides)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        var copy = this with { };
        foreach (string o in overrides)
        {
            int eq = o.IndexOf('=', StringComparison.Ordinal);
            string name = eq > 0 ? o[..eq].Trim() : throw new ArgumentException($"--set {o}: expected Name=value, e.g. PpoIterations=200");
            var property = typeof(DemoSettings).GetProperty(name, BindingFlags.Public | BindingFlags.Instance | BindingFlags.IgnoreCase)
                ?? throw new ArgumentException($"--set {o}: no setting '{name}'; settings: {string.Join(", ", typeof(DemoSettings).GetProperties(BindingFlags.Public | BindingFlags.Instance).Select(p => p.Name))}");
            try
            {
                property.SetValue(copy, Convert.ChangeType(o[(eq + 1)..].Trim(), property.PropertyType, CultureInfo.InvariantCulture));
            }
            catch (Exception e) when (e is FormatException or InvalidCastException or OverflowException)
            {
                throw new ArgumentException($"--set {o}: '{o[(eq + 1)..]}' is not a valid {property.PropertyType.Name} for {property.Name}");
            }
        }
        return copy;
    }

    /// <summary>The full demo.</summary>
    public static DemoSettings Full { get; } = new();

    /// <summary>Every stage at toy size (smoke test).</summary>
    public static DemoSettings Quick { get; } = new()
    {
        Documents = 3_000, Demonstrations = 400, LabelPrompts = 96, RlPrompts = 64, EvalPrompts = 8, VocabSize = 768,
        Layers = 2, Heads = 2, Dim = 64, Context = 64, PretrainSteps = 150, PretrainBatch = 8, SftEpochs = 1,
        RmMembers = 2, RmEpochs = 1, MaxNewTokens = 24, PpoMaxNewTokens = 32, PpoIterations = 6, PpoBatch = 8, BonN = 4, DpoEpochs = 1,
        GrpoDigits = "1", GrpoProblems = 80, GrpoHeldOut = 20, GrpoContext = 48, GrpoPretrainSteps = 60, GrpoIterations = 2, GrpoMaxNewTokens = 32,
    };
}
