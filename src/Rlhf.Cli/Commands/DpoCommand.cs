using System.CommandLine;
using Rlhf.Training.Common;
using Rlhf.Training.Data;
using Rlhf.Training.Dpo;
using Rlhf.Training.Labeling;
using Rlhf.Data.Preferences;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf dpo</c>: direct preference optimisation (DPO, cDPO, IPO) on pairwise or K-wise preferences (<see cref="DpoTrainer"/>).</summary>
public static class DpoCommand
{
    /// <summary>Builds the <c>dpo</c> verb.</summary>
    public static Command Create()
    {
        var defaults = new DpoConfig { OutDir = "" };
        var training = new TrainingOptions(defaults, "Optimizer steps; 0 = --epochs passes over the training pairs.",
            "Fraction of the prompts held out (split by prompt) for the held-out preference accuracy and KL.", frozenModels: true);
        training.Batch.Description = "Preference pairs per optimizer step (each pair is two sequences).";
        training.SeqLen.Description = "Token limit of prompt + response (default: the model context); longer pairs are skipped and counted, never truncated.";
        training.EvalBatches.Description = "Held-out batches of pairs per evaluation, the same ones each time (0 = no pair evaluation).";
        var policy = new Option<string?>("--policy") { Description = "The model to train (SFT or base model directory, or a run directory); also the reference unless --reference. Required unless --resume." };
        policy.Aliases.Add("--init");
        var reference = new Option<string?>("--reference") { Description = "Reference model π_ref (default: the --policy model)." };
        var data = new Option<string>("--data") { Description = "Preference JSONL: {\"prompt\", \"chosen\", \"rejected\"} or {\"prompt\", \"completions\", \"ranking\"[, \"ties\"]} (a ranking of K expands to its C(K,2) pairs). Required unless --resume." };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer directory (default: the --policy directory, or the checkpoint's with --resume)." };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the training pairs when --steps is 0.", DefaultValueFactory = _ => defaults.Epochs };
        var beta = new Option<float>("--beta") { Description = "β of the implicit reward β·log(π/π_ref) (τ for --loss ipo).", DefaultValueFactory = _ => defaults.Beta };
        var loss = new Option<string>("--loss") { Description = "sigmoid (DPO, Rafailov et al. 2023) or ipo (Azar et al. 2023).", DefaultValueFactory = _ => defaults.Loss };
        var smoothing = new Option<float>("--label-smoothing") { Description = "cDPO: assumed label-flip probability ε in [0, 0.5) (sigmoid loss only).", DefaultValueFactory = _ => 0f };
        var klPrompts = new Option<int>("--kl-prompts") { Description = "Held-out prompts sampled at each evaluation for KL(π ‖ π_ref) and gold reward (0 = none).", DefaultValueFactory = _ => defaults.KlPrompts };
        var klTokens = new Option<int>("--kl-max-new-tokens") { Description = "Most new tokens per KL sample.", DefaultValueFactory = _ => defaults.KlMaxNewTokens };
        var gold = new Option<string?>("--gold") { Description = "Gold scorer for the evaluation samples' gold_reward: 'lexicon' or 'rm:<dir>' (default: none; saved with the run)." };
        var chatTemplate = CommandSupport.ChatTemplateOption();

        var command = new Command("dpo", "Direct preference optimisation: minimises −log σ(β[(log π(y⁺|x) − log π_ref(y⁺|x)) − (log π(y⁻|x) − log π_ref(y⁻|x))]) "
            + "(or IPO's squared loss) over preference pairs, with reference log-probs computed once and saved with the run. Logs loss, implicit "
            + "rewards, margin, accuracy; held-out accuracy and KL to the reference; checkpoints with exact --resume.")
        {
            policy, reference, data, tokenizer, epochs, beta, loss, smoothing, klPrompts, klTokens, gold, chatTemplate,
        };
        training.AddTo(command);
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, error) =>
        {
            string outDir = parse.GetValue(training.Out)!;
            bool resume = parse.GetValue(training.Resume);
            DpoConfig? saved = resume ? TrainingCheckpoint.ReadState<DpoConfig, ShuffledOrderState>(outDir, DpoTrainer.Kind).State.Config : null;
            if (!resume) TrainingSetup.CheckFresh(outDir);
            string? policyDir = parse.GetValue(policy) is { } p ? TrainingCheckpoint.ResolveModelDirectory(p) : null;
            if (!resume && policyDir is null) throw new TrainingException("--policy is required: the model to train (e.g. an SFT run's checkpoint/)");
            string? referenceDir = parse.GetValue(reference) is { } r ? TrainingCheckpoint.ResolveModelDirectory(r) : null;
            var tok = CommandSupport.LoadTokenizer(parse.GetValue(tokenizer) ?? (resume ? TrainingCheckpoint.Find(outDir)! : policyDir!));
            string dataPath = parse.GetValue(data) ?? saved?.Data?.SingleOrDefault()
                ?? throw new TrainingException("--data is required: the preference JSONL file");
            var prefs = PreferenceData.Load(CommandSupport.ExistingFile(dataPath));
            string? goldSpec = parse.Given(gold) || saved is null ? parse.GetValue(gold) : saved.Gold;
            var goldScorer = goldSpec is { } g ? CommandSupport.CreateGold(g) : null;

            DpoConfig config;
            if (saved is null)
                config = training.Apply(parse, defaults with
                {
                    InitCheckpoint = policyDir, ReferenceCheckpoint = referenceDir, Epochs = parse.GetValue(epochs), Beta = parse.GetValue(beta),
                    Loss = parse.GetValue(loss)!, LabelSmoothing = parse.GetValue(smoothing), KlPrompts = parse.GetValue(klPrompts), KlMaxNewTokens = parse.GetValue(klTokens),
                    Data = [dataPath], Gold = goldSpec, ChatTemplateName = parse.GetValue(chatTemplate),
                }, onlyGiven: false);
            else
            {
                var c = saved with { Data = [dataPath], Gold = goldSpec };
                if (parse.Given(epochs)) c = c with { Epochs = parse.GetValue(epochs) };
                if (parse.Given(beta)) c = c with { Beta = parse.GetValue(beta) };
                if (parse.Given(loss)) c = c with { Loss = parse.GetValue(loss)! };
                if (parse.Given(smoothing)) c = c with { LabelSmoothing = parse.GetValue(smoothing) };
                if (parse.Given(klPrompts)) c = c with { KlPrompts = parse.GetValue(klPrompts) };
                if (parse.Given(klTokens)) c = c with { KlMaxNewTokens = parse.GetValue(klTokens) };
                if (parse.Given(chatTemplate)) c = c with { ChatTemplateName = parse.GetValue(chatTemplate) };
                config = training.Apply(parse, c, onlyGiven: true);
            }
            training.Check(config, (nameof(DpoConfig.Epochs), epochs), (nameof(DpoConfig.Beta), beta), (nameof(DpoConfig.Loss), loss),
                (nameof(DpoConfig.LabelSmoothing), smoothing), (nameof(DpoConfig.KlPrompts), klPrompts), (nameof(DpoConfig.KlMaxNewTokens), klTokens), (nameof(DpoConfig.Gold), gold));
            output.WriteLine($"dpo: {prefs.Records.Count} {prefs.Format.ToString().ToLowerInvariant()} records from {dataPath}");
            using var stop = new StopSignal(error);
            var result = new DpoTrainer(config, tok, prefs, output, CommandSupport.Progress(output)) { Gold = goldScorer }.Run(resume, stop.Token);
            return result.Stopped ? CommandSupport.StoppedExitCode : 0;
        }));
        return command;
    }
}
