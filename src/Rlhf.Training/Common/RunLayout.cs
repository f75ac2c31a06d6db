using Rlhf.Models.Checkpoints;

namespace Rlhf.Training.Common;

/// <summary>
/// The directory layout of a training run, known here and nowhere else:
/// <code>
/// run/
///   metrics.jsonl
///   checkpoint/          the latest full training state (<see cref="TrainingCheckpoint"/>): model, tokenizer, optimizer
///   best/                the run guard's best iteration (RL trainers with a guard)
///   member-0/ member-1/  an ensemble run (rm train --ensemble N): one run directory per member, each as above
/// </code>
/// A "model directory" given on a command line may be the model itself (it holds <c>config.json</c>), a run
/// (its <c>checkpoint/</c>), or for reward models an ensemble run (every <c>member-*/checkpoint/</c>).
/// </summary>
public static class RunLayout
{
    /// <summary>The latest checkpoint's directory name inside a run directory.</summary>
    public const string CheckpointDirectory = "checkpoint";

    /// <summary>The guard's best iteration's directory name inside a run directory.</summary>
    public const string BestDirectory = "best";

    /// <summary>Prefix of an ensemble member's run directory (<c>member-0</c>, <c>member-1</c>, ...).</summary>
    public const string MemberPrefix = "member-";

    /// <summary>The run directory of ensemble member <paramref name="index"/> inside <paramref name="runDir"/>.</summary>
    public static string Member(string runDir, int index) => Path.Combine(runDir, MemberPrefix + index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>The ensemble members' run directories inside <paramref name="runDir"/> in member order (member-2 before member-10); empty when there are none.</summary>
    public static IReadOnlyList<string> Members(string runDir) =>
        Directory.Exists(runDir)
            ? [.. Directory.GetDirectories(runDir, MemberPrefix + "*").OrderBy(d => d.Length).ThenBy(d => d, StringComparer.Ordinal)]
            : [];

    /// <summary>
    /// The reward model directories <paramref name="path"/> stands for: itself if it holds a model, its
    /// <c>checkpoint/</c> if it is a run, or every member's checkpoint if it is an ensemble run.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">There is no such directory.</exception>
    /// <exception cref="FileNotFoundException">The directory holds none of the three.</exception>
    public static IReadOnlyList<string> RewardModelDirectories(string path)
    {
        // a model directory: HF config.json, or a LoRA run's PEFT adapter files
        static bool IsModel(string dir) => File.Exists(Path.Combine(dir, HfCheckpoint.ConfigFile)) || Rlhf.Models.Lora.LoraCheckpoint.IsAdapterDirectory(dir);
        if (IsModel(path)) return [path];
        string run = Path.Combine(path, CheckpointDirectory);
        if (IsModel(run)) return [run];
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path}: no such model directory");
        var members = Members(path).Select(m => Path.Combine(m, CheckpointDirectory)).Where(IsModel).ToArray();
        return members.Length > 0 ? members
            : throw new FileNotFoundException($"{path}: not a reward model directory (no {HfCheckpoint.ConfigFile}, {CheckpointDirectory}/ or {MemberPrefix}*/{CheckpointDirectory}/)");
    }
}
