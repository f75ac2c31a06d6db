using System.CommandLine;
using Rlhf.Models.Tokenization;
using Rlhf.Training.Common;
using Rlhf.Training.Dpo;
using Rlhf.Training.Ppo;
using Rlhf.Training.Labeling;
using Rlhf.Training.Online;
using Rlhf.Training.Rl;
using Rlhf.Data.Prompts;
using Rlhf.Training.RewardModeling;
using Rlhf.Training.Scoring;

namespace Rlhf.Cli.Commands;

/// <summary><c>rlhf online</c>: iterated online preference training — sample, label, train (DPO), repeat (<see cref="OnlineLoop"/>).</summary>
public static class OnlineCommand
{
    /// <summary>Builds the <c>online</c> verb.</summary>
    public static Command Create()
    {
        var dpoDefaults = new DpoConfig { OutDir = "" };
        var defaults = new OnlineConfig { OutDir = "", InitCheckpoint = "" };
        var outDir = new Option<string>("--out") { Description = "Run directory: metrics.jsonl (one line per round), online_state.json, round_NNN/ (rankings.jsonl, dpo/).", Required = true };
        var policy = new Option<string?>("--policy") { Description = "Starting policy (model or run directory); also the KL reference of the round metrics. Required unless --resume." };
        var prompts = new Option<string>("--prompts") { Description = "Prompts JSONL, one {\"prompt\": ...} per line, taken in rotation.", Required = true };
        var loop = new Option<int>("--loop") { Description = "Rounds N of sample → label → train (the final policy is sampled once more).", DefaultValueFactory = _ => defaults.Rounds };
        var perRound = new Option<int>("--prompts-per-round") { Description = "Prompts sampled per round.", DefaultValueFactory = _ => defaults.PromptsPerRound };
        var k = new Option<int>("--k") { Description = "Responses sampled per prompt and ranked together.", DefaultValueFactory = _ => defaults.SamplesPerPrompt };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "Most new tokens per response.", DefaultValueFactory = _ => defaults.MaxNewTokens };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature.", DefaultValueFactory = _ => defaults.Temperature };
        var labeler = new Option<string>("--labeler")
        {
            Description = "Who ranks: 'simulated' (a panel of --labelers simulated labelers over --gold), 'rm:<dir>' (a reward model ranks by score), or "
                + "'humans:<label db | connection string | http(s)://label server/>' (each round enqueues its samples for people and waits for --quota labels or --round-deadline).",
            DefaultValueFactory = _ => "simulated",
        };
        var humans = new HumanLabelerOptions();
        var labelers = new Option<int>("--labelers") { Description = "Simulated labelers in the panel.", DefaultValueFactory = _ => 3 }.Require(v => v >= 1, "--labelers must be at least 1.");
        var labelerTemperature = new Option<double>("--labeler-temperature") { Description = "Simulated labeler noise (0 = sort by gold).", DefaultValueFactory = _ => 0.1 }
            .Require(v => v >= 0 && double.IsFinite(v), "--labeler-temperature must be ≥ 0.");
        var gold = new Option<string>("--gold") { Description = "Gold scorer: the simulated labelers' truth and the per-round gold_reward ('lexicon' or 'rm:<dir>').", DefaultValueFactory = _ => LabelingRun.LexiconGold };
        var refresh = new Option<bool>("--refresh-reference") { Description = "Use each round's starting policy as the DPO reference (default: the initial policy throughout)." };
        var beta = new Option<float>("--beta") { Description = "DPO β.", DefaultValueFactory = _ => dpoDefaults.Beta };
        var loss = new Option<string>("--loss") { Description = "sigmoid (DPO) or ipo.", DefaultValueFactory = _ => dpoDefaults.Loss };
        var lr = new Option<float>("--lr") { Description = "DPO learning rate per round.", DefaultValueFactory = _ => dpoDefaults.LearningRate };
        var epochs = new Option<int>("--epochs") { Description = "DPO passes over each round's pairs.", DefaultValueFactory = _ => 1 };
        var batch = new Option<int>("--batch") { Description = "DPO pairs per step.", DefaultValueFactory = _ => dpoDefaults.BatchSize };
        var seed = new Option<ulong>("--seed") { Description = "Seed of sampling, labelers and DPO.", DefaultValueFactory = _ => defaults.Seed };
        var trainerOption = new Option<string>("--trainer") { Description = "Round trainer: 'dpo' (DPO on the round's pairs) or 'ppo' (refresh the reward model on all rankings so far, then PPO against it).", DefaultValueFactory = _ => "dpo" }
            .AcceptOnlyFromAmong("dpo", "ppo");
        var ppoIterations = new Option<int>("--ppo-iterations") { Description = "PPO iterations per round (--trainer ppo).", DefaultValueFactory = _ => 20 }.Require(v => v >= 1, "--ppo-iterations must be at least 1.");
        var ppoLr = new Option<float>("--ppo-lr") { Description = "PPO learning rate (--trainer ppo).", DefaultValueFactory = _ => 1e-5f }.Require(v => v > 0 && float.IsFinite(v), "--ppo-lr must be positive.");
        var ppoKl = new Option<float>("--ppo-kl-coef") { Description = "PPO KL penalty β to the reference (--trainer ppo).", DefaultValueFactory = _ => 0.05f }.Require(v => v >= 0 && float.IsFinite(v), "--ppo-kl-coef must be ≥ 0.");
        var rmSteps = new Option<int>("--rm-steps") { Description = "Reward-model refresh steps per round (0 = one epoch over all rankings so far; --trainer ppo).", DefaultValueFactory = _ => 0 }.Require(v => v >= 0, "--rm-steps must be ≥ 0.");
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out after its last completed round (an interrupted round is redone); only --loop may change." };

        var eosPenalty = CommandSupport.MissingEosPenaltyOption(); // --trainer ppo: the PPO stage's reward (with dpo the labels decide)
        var chatTemplate = CommandSupport.ChatTemplateOption();
        var command = new Command("online", "Iterated online preference training: each round samples K responses per prompt from the current policy, "
            + "ranks them with the chosen labeler, trains with DPO on the pairs, and logs gold reward, KL to the initial policy and length per round. "
            + "With --trainer ppo each round instead refreshes the reward model on all rankings so far and runs PPO against it.")
        {
            outDir, policy, prompts, loop, perRound, k, maxNew, temperature, labeler, labelers, labelerTemperature, gold, refresh, beta, loss, lr, epochs, batch, seed, trainerOption, ppoIterations, ppoLr, ppoKl, rmSteps, resume, eosPenalty, chatTemplate,
        };
        foreach (var option in humans.All) command.Add(option);
        command.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, error) =>
        {
            string o = parse.GetValue(outDir)!;
            bool isResume = parse.GetValue(resume);
            string? init = parse.GetValue(policy);
            if (isResume && init is null)
                init = OnlineLoop.ReadState(o).Config.InitCheckpoint;
            if (init is null) throw new TrainingException("--policy is required: the starting policy");
            string initDir = TrainingCheckpoint.ResolveModelDirectory(init);
            var tok = CommandSupport.LoadTokenizer(initDir);
            var promptList = RlPrompt.Load(CommandSupport.ExistingFile(parse.GetValue(prompts)!));
            var goldScorer = CommandSupport.CreateGold(parse.GetValue(gold)!);
            string who = parse.GetValue(labeler)!;
            string? templateName = parse.GetValue(chatTemplate);
            ulong s = parse.GetValue(seed);
            IRoundLabeler roundLabeler;
            string labelerName;
            using var stack = new DisposableStack();
            if (who == "simulated")
            {
                var lc = new SimulatedLabelerConfig(parse.GetValue(labelerTemperature));
                int n = parse.GetValue(labelers);
                roundLabeler = new PanelRoundLabeler(round => LabelerPanel.Simulated(goldScorer, lc, n, s * 1000 + (ulong)round * 17));
                labelerName = $"simulated:{n}:t={lc.Temperature}:gold={goldScorer.Name}";
            }
            else if (who.StartsWith("rm:", StringComparison.Ordinal))
            {
                var rm = new RewardLabeler(RewardModelReward.Load([who[3..]], templateName));
                roundLabeler = new PanelRoundLabeler(_ => rm);
                labelerName = who;
            }
            else if (HumanLabelerOptions.IsHumans(who))
            {
                var desk = stack.Push(humans.OpenDesk(parse, who));
                roundLabeler = new HumanRoundLabeler(desk, humans.RoundOptions(parse), Path.GetFileName(Path.GetFullPath(o)), output, humans.Critic(parse));
                labelerName = HumanLabelerOptions.Prefix + desk.Location; // never a connection string's password
            }
            else throw new TrainingException($"--labeler: unknown labeler '{who}' (expected 'simulated', 'rm:<dir>' or 'humans:<label db | http(s) URL>')");

            var config = new OnlineConfig
            {
                OutDir = o, InitCheckpoint = init, Rounds = parse.GetValue(loop), PromptsPerRound = parse.GetValue(perRound), SamplesPerPrompt = parse.GetValue(k),
                MaxNewTokens = parse.GetValue(maxNew), Temperature = parse.GetValue(temperature), RefreshReference = parse.GetValue(refresh), Labeler = labelerName, Seed = s,
                ChatTemplateName = templateName,
            };
            var dpo = dpoDefaults with
            {
                Beta = parse.GetValue(beta), Loss = parse.GetValue(loss)!, LearningRate = parse.GetValue(lr), Epochs = parse.GetValue(epochs),
                BatchSize = parse.GetValue(batch), Seed = s, CheckpointInterval = 0, ChatTemplateName = templateName,
            };
            // the configs' own rules, reported under the options that set their fields
            CommandSupport.ThrowProblems(config.Problems(), new Dictionary<string, Option>(StringComparer.Ordinal)
            {
                [nameof(OnlineConfig.Rounds)] = loop, [nameof(OnlineConfig.PromptsPerRound)] = perRound, [nameof(OnlineConfig.SamplesPerPrompt)] = k,
                [nameof(OnlineConfig.MaxNewTokens)] = maxNew, [nameof(OnlineConfig.Temperature)] = temperature,
            });
            CommandSupport.ThrowProblems((dpo with { OutDir = o, InitCheckpoint = initDir }).Problems(), new Dictionary<string, Option>(StringComparer.Ordinal)
            {
                [nameof(DpoConfig.Beta)] = beta, [nameof(DpoConfig.Loss)] = loss, [nameof(DpoConfig.LearningRate)] = lr,
                [nameof(DpoConfig.Epochs)] = epochs, [nameof(DpoConfig.BatchSize)] = batch,
            });
            IOnlineTrainer trainer = parse.GetValue(trainerOption) == "ppo"
                ? new PpoOnlineTrainer(new RewardConfig { OutDir = "", MaxSteps = parse.GetValue(rmSteps), BatchSize = 8, Seed = s, ChatTemplateName = templateName },
                    new PpoConfig
                    {
                        OutDir = "", MaxSteps = parse.GetValue(ppoIterations), LearningRate = parse.GetValue(ppoLr), Beta = parse.GetValue(ppoKl),
                        BatchSize = Math.Min(64, config.PromptsPerRound), MinibatchSize = Math.Min(16, config.PromptsPerRound), MaxNewTokens = config.MaxNewTokens,
                        Temperature = config.Temperature, SampleEvery = 0, CheckpointInterval = 0, Seed = s, MissingEosPenalty = parse.GetValue(eosPenalty),
                        ChatTemplateName = templateName,
                    }, tok, promptList, goldScorer, output, CommandSupport.Progress(output))
                : new DpoOnlineTrainer(dpo, tok, goldScorer, output, CommandSupport.Progress(output));
            config = config with
            {
                Trainer = trainer is PpoOnlineTrainer
                    ? $"{PpoOnlineTrainer.TrainerName}:it={parse.GetValue(ppoIterations)}:lr={parse.GetValue(ppoLr)}:kl={parse.GetValue(ppoKl)}:rm-steps={parse.GetValue(rmSteps)}"
                    : "dpo",
            };
            using var stop = new StopSignal(error);
            new OnlineLoop(config, tok, promptList, roundLabeler, trainer, goldScorer, output).Run(isResume, stop.Token);
            return stop.Token.IsCancellationRequested ? CommandSupport.StoppedExitCode : 0;
        }));
        return command;
    }
}
