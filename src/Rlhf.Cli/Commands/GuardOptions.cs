using System.CommandLine;
using Rlhf.Training.Guard;
using Rlhf.Training.Rl;

namespace Rlhf.Cli.Commands;

/// <summary>
/// The reward-hacking guard's command-line options, for any RL verb: <c>var guard = GuardOptions.AddTo(command);</c>
/// then <c>guard.Build(parse)</c> in the action gives the <see cref="RewardHackingGuard"/> (null with --no-guard).
/// A limit of 0 switches its monitor off; defaults are <see cref="GuardConfig"/>'s.
/// </summary>
public sealed class GuardOptions
{
    private static readonly GuardConfig Defaults = new();

    private readonly Option<double> _goldDrop = new Option<double>("--guard-gold-drop")
    {
        Description = "Stop when the gold reward (EMA) falls this much below its peak, in reward units, for --guard-patience iterations (0 = only the fraction rule).",
        DefaultValueFactory = _ => Defaults.GoldDrop ?? 0,
    }.Require(v => v >= 0 && double.IsFinite(v), "--guard-gold-drop must be finite and >= 0.");

    private readonly Option<double> _goldDropFraction = new Option<double>("--guard-gold-drop-fraction")
    {
        Description = "...or this fraction of the gold gain made since the start, whichever is larger (0 = only the absolute rule; both 0 = off).",
        DefaultValueFactory = _ => Defaults.GoldDropFraction ?? 0,
    }.Require(v => v >= 0 && double.IsFinite(v), "--guard-gold-drop-fraction must be finite and >= 0.");

    private readonly Option<int> _patience = new Option<int>("--guard-patience")
    {
        Description = "Bad iterations in a row before a monitor stops the run (the KL budget always stops at once).",
        DefaultValueFactory = _ => Defaults.Patience,
    }.Require(v => v >= 1, "--guard-patience must be at least 1.");

    private readonly Option<double> _klBudget = new Option<double>("--guard-kl-budget")
    {
        Description = "Stop once the mean per-sequence KL(π‖π_ref) exceeds this many nats (0 = no budget).",
        DefaultValueFactory = _ => Defaults.KlBudget ?? 0,
    }.Require(v => v >= 0 && double.IsFinite(v), "--guard-kl-budget must be finite and >= 0.");

    private readonly Option<double> _heldOutDrop = new Option<double>("--guard-heldout-drop")
    {
        Description = "Stop when the held-out RM reward falls this much below its peak while the proxy rises (0 = off).",
        DefaultValueFactory = _ => Defaults.HeldOutDrop ?? 0,
    }.Require(v => v >= 0 && double.IsFinite(v), "--guard-heldout-drop must be finite and >= 0.");

    private readonly Option<double> _ensembleRatio = new Option<double>("--guard-max-ensemble-std-ratio")
    {
        Description = "Stop when the ensemble std exceeds this multiple of its initial level (> 1; 0 = off).",
        DefaultValueFactory = _ => Defaults.MaxEnsembleStdRatio ?? 0,
    }.Require(v => v == 0 || (v > 1 && double.IsFinite(v)), "--guard-max-ensemble-std-ratio must be 0 (off) or > 1.");

    private readonly Option<double> _minLength = new Option<double>("--guard-min-length-ratio")
    {
        Description = "Stop when the mean response length falls below this fraction of its initial level (0 = off).",
        DefaultValueFactory = _ => Defaults.MinLengthRatio ?? 0,
    }.Require(v => v >= 0 && v < 1, "--guard-min-length-ratio must be in [0, 1).");

    private readonly Option<double> _maxLength = new Option<double>("--guard-max-length-ratio")
    {
        Description = "Stop when the mean response length exceeds this multiple of its initial level (> 1; 0 = off).",
        DefaultValueFactory = _ => Defaults.MaxLengthRatio ?? 0,
    }.Require(v => v == 0 || (v > 1 && double.IsFinite(v)), "--guard-max-length-ratio must be 0 (off) or > 1.");

    private readonly Option<double> _maxRepetition = new Option<double>("--guard-max-repetition")
    {
        Description = "Stop when the mean repetition rate (fraction of repeated 3-grams) exceeds this (0 = off).",
        DefaultValueFactory = _ => Defaults.MaxRepetition ?? 0,
    }.Require(v => v >= 0 && v < 1, "--guard-max-repetition must be in [0, 1).");

    private readonly Option<bool> _noGuard = new("--no-guard") { Description = "Run without the reward-hacking guard (no monitor can stop the run)." };

    private readonly Option<bool> _observe = new("--guard-observe")
    {
        Description = "Watch only: the guard keeps best/ and records where it would stop (logged as guard_would_stop), but the run goes on to the end — to see what happens past the stop.",
    };

    private GuardOptions() { }

    /// <summary>Adds the guard options to <paramref name="command"/>; keep the result to build the guard from a parse.</summary>
    public static GuardOptions AddTo(Command command)
    {
        ArgumentNullException.ThrowIfNull(command);
        var g = new GuardOptions();
        foreach (Option o in new Option[] { g._goldDrop, g._goldDropFraction, g._patience, g._klBudget, g._heldOutDrop, g._ensembleRatio, g._minLength, g._maxLength, g._maxRepetition, g._noGuard, g._observe })
            command.Add(o);
        return g;
    }

    /// <summary>The guard settings typed on the command line (0 → that monitor off); null with --no-guard.</summary>
    public GuardConfig? Config(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.GetValue(_noGuard)) return null;
        static double? On(double v) => v > 0 ? v : null;
        return new GuardConfig(
            GoldDrop: On(parse.GetValue(_goldDrop)),
            GoldDropFraction: On(parse.GetValue(_goldDropFraction)),
            HeldOutDrop: On(parse.GetValue(_heldOutDrop)),
            KlBudget: On(parse.GetValue(_klBudget)),
            MaxEnsembleStdRatio: On(parse.GetValue(_ensembleRatio)),
            MinLengthRatio: On(parse.GetValue(_minLength)),
            MaxLengthRatio: On(parse.GetValue(_maxLength)),
            MaxRepetition: On(parse.GetValue(_maxRepetition)),
            Patience: parse.GetValue(_patience));
    }

    /// <summary>True when any guard option was typed (a resume takes the guard settings from the checkpoint otherwise).</summary>
    public bool AnyGiven(ParseResult parse) =>
        new Option[] { _goldDrop, _goldDropFraction, _patience, _klBudget, _heldOutDrop, _ensembleRatio, _minLength, _maxLength, _maxRepetition, _noGuard, _observe }.Any(parse.Given);

    /// <summary>Whether --guard-observe was given.</summary>
    public bool Observe(ParseResult parse) => parse.GetValue(_observe);

    /// <summary>The guard of <see cref="Config"/> (wrapped in an <see cref="ObservingGuard"/> with --guard-observe); null with --no-guard.</summary>
    public IRunGuard? Build(ParseResult parse)
    {
        if (Config(parse) is not { } config) return null;
        var guard = new RewardHackingGuard(config);
        return parse.GetValue(_observe) ? new ObservingGuard(guard) : guard;
    }
}
