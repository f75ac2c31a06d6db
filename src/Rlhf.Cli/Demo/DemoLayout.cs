namespace Rlhf.Cli.Demo;

/// <summary>
/// The stages of <c>rlhf demo</c> and the layout of its directory, defined here only: the runner writes it, the
/// samples stage and the summary/report read it.
/// <code>
/// demo.json       seed, size, and per stage: status, seconds, the rlhf commands it ran
/// data/           the built-in review corpus, demonstrations, prompt sets      (stage data)
/// tokenizer/      the BPE tokenizer                                              (stage data)
/// base/ sft/      pretraining and SFT runs                                       (stages pretrain, sft)
/// labels/         K samples per prompt, the simulated labelers' rankings         (stage label)
/// rm/             the reward-model ensemble, member-*/                           (stage rm)
/// ppo-kl/ ppo/    PPO with and without the KL penalty (ppo/best: the guard's)    (stages ppo_kl, ppo)
/// bon/ dpo/       best-of-N and DPO                                              (stages bon, dpo)
/// grpo/           GRPO on arithmetic: its own data, tokenizer, models and run/   (stage grpo)
/// samples.json    held-out prompts answered by every model                       (stage samples)
/// report.html     the report
/// </code>
/// </summary>
public static class DemoLayout
{
    /// <summary>Stage names, as demo.json and the summary table write them.</summary>
    public const string DataStage = "data", PretrainStage = "pretrain", SftStage = "sft", LabelStage = "label", RmStage = "rm",
        PpoKlStage = "ppo_kl", PpoStage = "ppo", BonStage = "bon", DpoStage = "dpo", GrpoStage = "grpo", SamplesStage = "samples";

    /// <summary>The stages in the order they run.</summary>
    public static readonly IReadOnlyList<string> Stages =
        [DataStage, PretrainStage, SftStage, LabelStage, RmStage, PpoKlStage, PpoStage, BonStage, DpoStage, GrpoStage, SamplesStage];

    /// <summary>Directories inside the demo directory.</summary>
    public const string DataDir = "data", TokenizerDir = "tokenizer", BaseDir = "base", SftDir = "sft", LabelsDir = "labels", RmDir = "rm",
        PpoKlDir = "ppo-kl", PpoDir = "ppo", BonDir = "bon", DpoDir = "dpo", GrpoDir = "grpo";

    /// <summary>The state file that marks a demo directory.</summary>
    public const string StateFile = "demo.json";

    /// <summary>The sample table (stage samples).</summary>
    public const string SamplesFile = "samples.json";

    /// <summary>The report.</summary>
    public const string ReportFile = "report.html";
}
