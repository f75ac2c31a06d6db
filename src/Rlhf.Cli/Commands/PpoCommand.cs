using System.CommandLine;
using System.Text.Json;
using Rlhf.Models;
using Rlhf.Models.Checkpoints;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Common;
using Rlhf.Training.Labeling;
using Rlhf.Training.Ppo;
using Rlhf.Training.Rl;
using Rlhf.Data.Prompts;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf ppo</c>: RL against a reward model with PPO and a KL leash to the reference (<see cref="PpoTrainer"/>).</summary>
public static class PpoCommand
{
    /// <summary>Builds the <c>ppo</c> verb.</summary>
    public static Command Create()
    {
        var d = new PpoConfig { OutDir = "" };
        var policy = new Option<string?>("--policy") { Description = "Policy to train (an SFT model directory, HF GPT-2 layout, or a run directory with checkpoint/). Required unless --resume." };
        var rewardModels = new Option<string[]>("--reward-model", "--reward") { Description = "Reward model directory (rm train's run or checkpoint/); repeat it, or give an ensemble run (member-*/), for an ensemble: reward = mean of the normalised scores. "
            + "Or bring your own reward: an http(s):// URL (POSTed a JSON batch of {prompt, response}, answers a list of numbers) or cmd:<program and arguments> (kept running; one JSON line per batch each way); "
            + "a batch that fails after --reward-retries is skipped (its samples dropped and counted), never scored 0. Required unless --resume.", AllowMultipleArgumentsPerToken = true };
        var rewardTimeout = new Option<double>("--reward-timeout") { Description = "Seconds an external reward (http/cmd) may take per batch (not saved with the run).", DefaultValueFactory = _ => ExternalScorerPolicy.Default.Timeout.TotalSeconds }.Require(v => v > 0 && double.IsFinite(v), "--reward-timeout must be positive.");
        var rewardRetries = new Option<int>("--reward-retries") { Description = "Retries of a failed external reward batch before it is skipped (not saved with the run).", DefaultValueFactory = _ => ExternalScorerPolicy.Default.Retries }.Require(v => v >= 0, "--reward-retries must be ≥ 0.");
        var rewardWeights = new Option<float[]>("--reward-weight") { Description = "Combine the --reward-model arguments as r = Σ w_i·r_i (one weight per --reward-model, in order; each may itself be an ensemble) instead of one ensemble mean.", AllowMultipleArgumentsPerToken = true };
        var reference = new Option<string?>("--reference") { Description = "Frozen reference model for the KL penalty (default: the --policy model as given)." };
        var prompts = new Option<string?>("--prompts") { Description = "JSONL of {\"prompt\": ...} objects (extra fields ignored). Required unless --resume." };
        var outDir = new Option<string>("--out") { Description = "Run directory: metrics.jsonl, samples.jsonl, checkpoint/ (policy in HF layout + tokenizer, critic/, optimizer states, trainer_state.json), best/.", Required = true };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint, bit-identical to an uninterrupted run. Models, prompts and settings come from the checkpoint; only --iterations, --sample-every and --checkpoint-interval may change." };
        var iterations = new Option<int>("--iterations") { Description = "PPO iterations (rollout + update).", DefaultValueFactory = _ => d.MaxSteps };
        iterations.Aliases.Add("--steps");
        var batch = new Option<int>("--batch") { Description = "Prompts per iteration (one response each).", DefaultValueFactory = _ => d.BatchSize };
        var minibatch = new Option<int>("--minibatch") { Description = "Rows per gradient step (≤ --batch).", DefaultValueFactory = _ => d.MinibatchSize };
        var epochs = new Option<int>("--epochs") { Description = "PPO epochs over each rollout batch.", DefaultValueFactory = _ => d.Epochs };
        var lr = new Option<float>("--lr") { Description = "Policy learning rate (AdamW, constant).", DefaultValueFactory = _ => d.LearningRate };
        var criticLr = new Option<float?>("--critic-lr") { Description = "Critic learning rate (default: --lr)." };
        var klCoef = new Option<float>("--kl-coef") { Description = "β of the per-token KL penalty −β·(log π − log π_ref): fixed, or the adaptive controller's start.", DefaultValueFactory = _ => d.Beta };
        klCoef.Aliases.Add("--beta");
        var klTarget = new Option<float?>("--kl-target") { Description = "Adaptive KL (Ziegler et al. 2019): steer the sequence KL towards this many nats (e.g. 6); default: fixed β." };
        var klHorizon = new Option<int>("--kl-horizon") { Description = "Adaptive KL horizon in episodes.", DefaultValueFactory = _ => d.KlHorizon };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Response length cap.", DefaultValueFactory = _ => d.MaxNewTokens };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature (log-probs are recomputed at the same temperature).", DefaultValueFactory = _ => d.Temperature };
        var clip = new Option<float>("--clip-range") { Description = "ε of the clipped surrogate.", DefaultValueFactory = _ => d.ClipRange };
        var valueClip = new Option<float>("--value-clip") { Description = "Clip range of the value loss.", DefaultValueFactory = _ => d.ValueClipRange };
        var vfCoef = new Option<float>("--vf-coef") { Description = "Weight of the value loss.", DefaultValueFactory = _ => d.ValueCoef };
        var entropy = new Option<float>("--entropy-coef") { Description = "Entropy bonus weight (0 = off).", DefaultValueFactory = _ => d.EntropyCoef };
        var gamma = new Option<float>("--gamma") { Description = "Discount γ.", DefaultValueFactory = _ => d.Gamma };
        var lambda = new Option<float>("--lambda") { Description = "GAE λ.", DefaultValueFactory = _ => d.Lambda };
        var rewardClip = new Option<float?>("--reward-clip") { Description = "Clip the reward model's score to ±this (default: no clip)." };
        var sharedCritic = new Option<bool>("--shared-critic") { Description = "Value head on the policy's trunk (one forward, one optimizer) instead of a separate critic trunk." };
        var criticFromRm = new Option<bool>("--critic-from-rm") { Description = "Start the separate critic's trunk from the (first) reward model instead of the policy (needs the same tokenizer)." };
        var gold = new Option<string?>("--gold") { Description = "Gold scorer measured on every sample (never trained against): 'lexicon' or 'rm:<dir>'. Logged as gold_reward." };
        var heldOut = new Option<string[]>("--heldout-rm") { Description = "Held-out reward model (or ensemble run) measured on every sample but never trained against; logged as heldout_reward (overoptimisation without a gold scorer).", AllowMultipleArgumentsPerToken = true };
        var ptxData = new Option<string?>("--ptx-data") { Description = "Plain-text file of pretraining data for PPO-ptx (InstructGPT): its next-token loss is mixed into each minibatch." };
        var ptxCoef = new Option<float>("--ptx-coef") { Description = "Weight γ of the PPO-ptx term.", DefaultValueFactory = _ => d.PtxCoef };
        var eosPenalty = CommandSupport.MissingEosPenaltyOption();
        var sampleEvery = new Option<int>("--sample-every") { Description = "Print a (prompt, response, reward) table and append it to samples.jsonl every N iterations (0 = never).", DefaultValueFactory = _ => d.SampleEvery };
        var checkpointInterval = new Option<int>("--checkpoint-interval") { Description = "Save the full state every N iterations (always at the end; 0 = only at the end).", DefaultValueFactory = _ => d.CheckpointInterval };
        var seed = new Option<ulong>("--seed") { Description = "Seed of prompt order, sampling, minibatch order and the value head.", DefaultValueFactory = _ => d.Seed };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary of the run at the end." };
        var maxWallTime = TrainingOptions.CreateMaxWallTime();
        var gradCheckpoint = TrainingOptions.CreateGradCheckpoint();
        var frozenDtype = TrainingOptions.CreateFrozenDtype();
        var chatTemplate = CommandSupport.ChatTemplateOption();
        chatTemplate.Description += " The reward models are read with the same choice.";
        var lora = new LoraOptions();

        // typed (or, for a fresh run, defaulted) options written into the config
        var binds = new List<(Option Option, Func<PpoConfig, ParseResult, PpoConfig> Apply)>
        {
            (iterations, (c, p) => c with { MaxSteps = p.GetValue(iterations) }), (batch, (c, p) => c with { BatchSize = p.GetValue(batch) }),
            (minibatch, (c, p) => c with { MinibatchSize = p.GetValue(minibatch) }), (epochs, (c, p) => c with { Epochs = p.GetValue(epochs) }),
            (lr, (c, p) => c with { LearningRate = p.GetValue(lr) }), (criticLr, (c, p) => c with { CriticLearningRate = p.GetValue(criticLr) }),
            (klCoef, (c, p) => c with { Beta = p.GetValue(klCoef) }), (klTarget, (c, p) => c with { KlTarget = p.GetValue(klTarget) }),
            (klHorizon, (c, p) => c with { KlHorizon = p.GetValue(klHorizon) }), (maxNew, (c, p) => c with { MaxNewTokens = p.GetValue(maxNew) }),
            (temperature, (c, p) => c with { Temperature = p.GetValue(temperature) }), (clip, (c, p) => c with { ClipRange = p.GetValue(clip) }),
            (valueClip, (c, p) => c with { ValueClipRange = p.GetValue(valueClip) }), (vfCoef, (c, p) => c with { ValueCoef = p.GetValue(vfCoef) }),
            (entropy, (c, p) => c with { EntropyCoef = p.GetValue(entropy) }), (gamma, (c, p) => c with { Gamma = p.GetValue(gamma) }),
            (lambda, (c, p) => c with { Lambda = p.GetValue(lambda) }), (rewardClip, (c, p) => c with { RewardClip = p.GetValue(rewardClip) }),
            (sharedCritic, (c, p) => c with { SharedCritic = p.GetValue(sharedCritic) }), (criticFromRm, (c, p) => c with { CriticFromRewardModel = p.GetValue(criticFromRm) }),
            (gold, (c, p) => c with { Gold = p.GetValue(gold) }), (eosPenalty, (c, p) => c with { MissingEosPenalty = p.GetValue(eosPenalty) }),
            (heldOut, (c, p) => c with { HeldOutPaths = p.GetValue(heldOut) is { Length: > 0 } h ? h : null }), (ptxData, (c, p) => c with { PtxPath = p.GetValue(ptxData) }),
            (ptxCoef, (c, p) => c with { PtxCoef = p.GetValue(ptxCoef) }), (sampleEvery, (c, p) => c with { SampleEvery = p.GetValue(sampleEvery) }),
            (checkpointInterval, (c, p) => c with { CheckpointInterval = p.GetValue(checkpointInterval) }), (seed, (c, p) => c with { Seed = p.GetValue(seed) }),
            (policy, (c, p) => c with { PolicyPath = p.GetValue(policy) }), (reference, (c, p) => c with { ReferencePath = p.GetValue(reference) }),
            (rewardModels, (c, p) => c with { RewardModelPaths = p.GetValue(rewardModels) is { Length: > 0 } r ? r : null }),
            (prompts, (c, p) => c with { PromptsPath = p.GetValue(prompts) }),
            (frozenDtype, (c, p) => c with { FrozenDtype = TrainingOptions.ParseDtype(p.GetValue(frozenDtype)!) }),
            (rewardWeights, (c, p) => c with { RewardWeights = p.GetValue(rewardWeights) is { Length: > 0 } w ? w : null }),
            (chatTemplate, (c, p) => c with { ChatTemplateName = p.GetValue(chatTemplate) }),
            (lora.Rank, (c, p) => c with { Lora = lora.Config(p) }),
        };

        // the option that sets each config field: the config's own checks (PpoConfig.Problems) are reported under it
        var optionOf = new Dictionary<string, Option>(StringComparer.Ordinal)
        {
            [nameof(PpoConfig.MaxSteps)] = iterations,
            [nameof(PpoConfig.BatchSize)] = batch,
            [nameof(PpoConfig.MinibatchSize)] = minibatch,
            [nameof(PpoConfig.Epochs)] = epochs,
            [nameof(PpoConfig.LearningRate)] = lr,
            [nameof(PpoConfig.CriticLearningRate)] = criticLr,
            [nameof(PpoConfig.Beta)] = klCoef,
            [nameof(PpoConfig.KlTarget)] = klTarget,
            [nameof(PpoConfig.KlHorizon)] = klHorizon,
            [nameof(PpoConfig.MaxNewTokens)] = maxNew,
            [nameof(PpoConfig.Temperature)] = temperature,
            [nameof(PpoConfig.ClipRange)] = clip,
            [nameof(PpoConfig.ValueClipRange)] = valueClip,
            [nameof(PpoConfig.ValueCoef)] = vfCoef,
            [nameof(PpoConfig.EntropyCoef)] = entropy,
            [nameof(PpoConfig.Gamma)] = gamma,
            [nameof(PpoConfig.Lambda)] = lambda,
            [nameof(PpoConfig.RewardClip)] = rewardClip,
            [nameof(PpoConfig.PtxCoef)] = ptxCoef,
            [nameof(PpoConfig.SampleEvery)] = sampleEvery,
            [nameof(PpoConfig.CheckpointInterval)] = checkpointInterval,
            [nameof(PpoConfig.MissingEosPenalty)] = eosPenalty, [nameof(PpoConfig.OutDir)] = outDir, [nameof(PpoConfig.MaxWallTime)] = maxWallTime,
        };
        foreach (var (field, option) in lora.FieldOptions) optionOf[field] = option;

        var command = new Command("ppo", "RLHF with PPO: each iteration samples one response per prompt, scores it with the reward model, "
            + "adds a per-token KL penalty to the frozen reference (fixed β or adaptive), computes GAE advantages and runs epochs of "
            + "clipped-surrogate + clipped-value minibatch updates (optional entropy bonus and PPO-ptx). Writes metrics.jsonl (reward, "
            + "KL, entropy, clip fraction, value loss, approx-KL, length, repetition, ensemble std, gold), samples.jsonl and "
            + "checkpoints with exact --resume.");
        Option[] inputs = [policy, rewardModels, rewardWeights, rewardTimeout, rewardRetries, reference, prompts, outDir, resume];
        foreach (var option in inputs.Concat(binds.Select(b => b.Option).Except(inputs)).Append(json).Append(maxWallTime).Append(gradCheckpoint).Concat(lora.All.Skip(1))) command.Add(option);
        var guardOptions = GuardOptions.AddTo(command); // the reward-hacking guard: on by default, --no-guard turns it off
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, error) =>
        {
            using var disposables = new DisposableStack();
            string outPath = parse.GetValue(outDir)!;
            bool resuming = parse.GetValue(resume);
            PpoConfig? saved = resuming ? PpoCheckpoint.ReadState(outPath).State.Config : null;
            if (!resuming) TrainingSetup.CheckFresh(outPath);
            var config = saved ?? d;
            foreach (var (option, apply) in binds)
                if (!resuming || parse.Given(option)) config = apply(config, parse);
            if (!resuming || guardOptions.AnyGiven(parse)) config = guardOptions.Config(parse) is { } guard ? config with { Guard = guard, GuardObserve = guardOptions.Observe(parse) } : config with { Guard = null, GuardObserve = false };
            config = config with { OutDir = outPath, MaxWallTime = parse.GetValue(maxWallTime), GradientCheckpointing = parse.GetValue(gradCheckpoint) };
            CommandSupport.ThrowProblems(config.Problems(), optionOf);
            string policyPath = config.PolicyPath ?? throw new TrainingException("--policy is required: the SFT model to train");
            var rmPaths = config.RewardModelPaths ?? throw new TrainingException("--reward-model is required: the reward model (or ensemble) to train against");
            string promptsPath = config.PromptsPath ?? throw new TrainingException("--prompts is required: a JSONL file of {\"prompt\": ...} objects");

            // ---- inputs, read before anything is written (a bad prompts line fails here, naming file:line)
            var promptList = RlPrompt.Load(CommandSupport.ExistingFile(promptsPath));
            string policyDir = TrainingCheckpoint.ResolveModelDirectory(policyPath);
            var tokenizer = CommandSupport.LoadTokenizer(policyDir);
            var policyModel = CausalLmCheckpoint.Load(policyDir);
            ICausalLm referenceModel;
            if (config.Lora is { } loraConfig)
            {
                // LoRA: adapters on the frozen policy; the reference is that base with the adapters off (no second copy)
                if (Rlhf.Models.Lora.LoraCheckpoint.IsAdapterDirectory(policyDir))
                    throw new TrainingException($"--policy {policyPath} is a LoRA adapter: merge it into a full model first (rlhf model merge) to train new adapters on it");
                Rlhf.Models.Lora.LoraAdapters adapters;
                try { adapters = Rlhf.Models.Lora.LoraAdapters.Attach(policyModel, loraConfig, config.Seed, Path.GetFullPath(policyDir)); }
                catch (ArgumentException e) { throw new TrainingException(e.Message, e); }
                referenceModel = config.ReferencePath is { } r ? CausalLmCheckpoint.Load(TrainingCheckpoint.ResolveModelDirectory(r)) : adapters.BaseModel();
            }
            else referenceModel = CausalLmCheckpoint.Load(TrainingCheckpoint.ResolveModelDirectory(config.ReferencePath ?? policyPath));
            // reward models (directories, ensembles) and external rewards (http/cmd), each argument one part
            var externalPolicy = new ExternalScorerPolicy(TimeSpan.FromSeconds(parse.GetValue(rewardTimeout)), parse.GetValue(rewardRetries), ExternalScorerPolicy.Default.RetryDelay);
            var groups = rmPaths.Where(p => !ExternalScorerSpec.IsExternal(p)).Select(path => RunLayout.RewardModelDirectories(path).ToList()).ToList();
            var rmDirs = groups.SelectMany(g => g).ToList();
            IRewardFunction Part(string path) => ExternalScorerSpec.IsExternal(path)
                ? disposables.Push(CommandSupport.CreateExternalReward("--reward", path, externalPolicy)) : RewardModelReward.Load(RunLayout.RewardModelDirectories(path).ToList(), config.ChatTemplateName);
            RewardModelReward? first;
            IRewardFunction reward;
            if (config.RewardWeights is not { } weights)
            {
                if (rmDirs.Count == 0 && rmPaths.Length == 1) { reward = Part(rmPaths[0]); first = null; } // one external reward
                else if (rmDirs.Count < rmPaths.Length)
                    throw new TrainingException("--reward: an external reward (http/cmd) cannot be averaged into a reward model ensemble; give one --reward-weight per --reward argument to combine them");
                else reward = first = RewardModelReward.Load(rmDirs, config.ChatTemplateName);   // one ensemble: mean of all members
            }
            else
            {
                if (weights.Length != rmPaths.Length)
                    throw new TrainingException($"--reward-weight: {weights.Length} weights for {rmPaths.Length} --reward-model arguments; give one per reward model");
                var parts = rmPaths.Select(Part).ToList();
                reward = new WeightedReward(parts.Select((r, i) => (r, (double)weights[i])).ToList());
                first = parts.OfType<RewardModelReward>().FirstOrDefault();
            }
            if (rmDirs.Count > 0 && !tokenizer.SameVocabulary(BpeTokenizer.Load(rmDirs[0])))
                output.WriteLine("ppo: note: the reward model's tokenizer differs from the policy's; responses are re-tokenised through text for scoring");
            ICausalLm? criticInit = null;
            if (config.CriticFromRewardModel)
            {
                if (config.SharedCritic) throw new TrainingException("--critic-from-rm needs a separate critic; drop --shared-critic");
                if (first is null) throw new TrainingException("--critic-from-rm needs a reward model directory among --reward-model (an external reward has no trunk)");
                if (!tokenizer.SameVocabulary(BpeTokenizer.Load(rmDirs[0])))
                    throw new TrainingException("--critic-from-rm: the reward model's tokenizer differs from the policy's, so its trunk cannot read the policy's tokens");
                criticInit = first.Members[0].Trunk;
            }
            var goldReward = config.Gold is { } g ? new GoldScorerReward(disposables.Push(CommandSupport.CreateGold(g))) : null;
            var heldOutReward = config.HeldOutPaths is { } held ? RewardModelReward.Load([.. held.SelectMany(RunLayout.RewardModelDirectories)], config.ChatTemplateName) : null;
            int[]? ptxTokens = config.PtxPath is { } ptx ? tokenizer.Encode(File.ReadAllText(CommandSupport.ExistingFile(ptx))) : null;
            output.WriteLine($"ppo: {promptList.Count} prompts from {promptsPath}; reward {(rmDirs.Count == rmPaths.Length ? $"models {string.Join(", ", rmDirs)}" : reward.Name)}");

            using var stop = new StopSignal(error);
            var trainer = new PpoTrainer(config, tokenizer, policyModel, referenceModel, reward, promptList, output, CommandSupport.Progress(output))
            {
                Gold = goldReward, HeldOut = heldOutReward, CriticInit = criticInit, PtxTokens = ptxTokens,
                Guard = config.CreateGuard(),
            };
            var result = trainer.Run(resuming, stop.Token);
            if (parse.GetValue(json))
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    iterations = result.Iteration, stopped = result.Stopped, guard_stop = result.GuardStop, best_iteration = result.BestIteration,
                    proxy_reward = Finite(result.LastProxyReward), kl = Finite(result.LastKl), checkpoint = result.CheckpointDirectory,
                }));
            return result.Stopped ? CommandSupport.StoppedExitCode : 0;
        }));
        return command;
    }

    private static double? Finite(double v) => double.IsFinite(v) ? v : null;
}
