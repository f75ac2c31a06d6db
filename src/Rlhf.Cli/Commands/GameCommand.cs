using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Rlhf.Games;
using Rlhf.Tensors;
using Rlhf.Training.Data;
using Rlhf.Data;

namespace Rlhf.Cli.Commands;

/// <summary>
/// <c>rlhf game imitate|selfplay|elo|play</c>: Connect Four experts, imitation learning, self-play RL and an Elo ladder
/// (the AlphaGo lesson — imitation tops out near its teacher, RL on a win/loss signal climbs past it — measured).
/// </summary>
public static class GameCommand
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Builds the <c>game</c> command with its verbs.</summary>
    public static Command Create()
    {
        var game = new Command("game", "Connect Four: scripted experts, imitation learning, self-play RL (actor-critic, or AlphaZero-style search targets), and an Elo ladder between them.");
        game.Add(CreateImitate());
        game.Add(CreateSelfPlay());
        game.Add(CreateElo());
        game.Add(CreatePlay());
        return game;
    }

    private static Option<string> ExpertOption(string name, string description, string defaultValue) =>
        new Option<string>(name) { Description = description, DefaultValueFactory = _ => defaultValue }
            .Require(Experts.IsExpert, $"{name} must be random, greedy, or ab1 ... ab9 (alpha-beta depth).");

    private static Command CreateImitate()
    {
        var d = new ImitationConfig();
        var outDir = new Option<string>("--out") { Description = "Run directory (expert_games.jsonl, metrics.jsonl, snapshots/, checkpoint/, model.safetensors).", Required = true };
        var expert = ExpertOption("--expert", "The expert to imitate (its self-play games are the dataset).", "ab3");
        var games = new Option<int>("--games") { Description = "Expert games to generate (each from a random two-ply opening).", DefaultValueFactory = _ => 3000 }.Require(v => v >= 2, "--games must be at least 2.");
        var data = new Option<string?>("--data") { Description = "Train on this expert-games JSONL instead of generating ({\"expert\",\"moves\",\"opening\",\"winner\"} per line)." };
        var epochs = new Option<int>("--epochs") { Description = "Passes over the positions (a snapshot per epoch).", DefaultValueFactory = _ => d.Epochs }.Require(v => v >= 1, "--epochs must be at least 1.");
        var hidden = new Option<int>("--hidden") { Description = "Hidden width of the MLP.", DefaultValueFactory = _ => d.Hidden }.Require(v => v >= 1, "--hidden must be at least 1.");
        var batch = new Option<int>("--batch") { Description = "Positions per step.", DefaultValueFactory = _ => d.BatchSize }.Require(v => v >= 1, "--batch must be at least 1.");
        var lr = new Option<float>("--lr") { Description = "AdamW learning rate.", DefaultValueFactory = _ => d.LearningRate }.Require(v => v > 0 && float.IsFinite(v), "--lr must be positive.");
        var seed = new Option<ulong>("--seed") { Description = "Seed of data generation, initialisation and shuffles.", DefaultValueFactory = _ => 1 };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint (bit-identical to an uninterrupted run)." };
        var quick = new Option<bool>("--quick") { Description = "Tiny settings for a smoke test (seconds)." };
        var cmd = new Command("imitate", "Generate expert self-play games and train a policy/value network to imitate the expert's moves (supervised, like AlphaGo's SL policy network).")
        {
            outDir, expert, games, data, epochs, hidden, batch, lr, seed, resume, quick,
        };
        cmd.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, error) =>
        {
            string dir = parse.GetValue(outDir)!, gamesFile = Path.Combine(dir, "expert_games.jsonl");
            bool q = parse.GetValue(quick), res = parse.GetValue(resume);
            var config = res ? ImitationTrainer.ReadConfig(dir) with { Epochs = parse.Given(epochs) ? parse.GetValue(epochs) : ImitationTrainer.ReadConfig(dir).Epochs }
                : new ImitationConfig(Hidden: q ? 32 : parse.GetValue(hidden), Epochs: q ? 2 : parse.GetValue(epochs), BatchSize: parse.GetValue(batch),
                    LearningRate: parse.GetValue(lr), Seed: parse.GetValue(seed));
            List<ExpertGame> list;
            if (res) list = ExpertDataset.Read(gamesFile);
            else if (parse.GetValue(data) is { } file) list = ExpertDataset.Read(CommandSupport.ExistingFile(file));
            else
            {
                var ex = Experts.Create(parse.GetValue(expert)!);
                int n = q ? 40 : parse.GetValue(games);
                output.WriteLine($"imitate: generating {n} {ex.Name} self-play games");
                list = [.. ExpertDataset.Generate(ex, n, new Rng(parse.GetValue(seed) ^ 0xE5u))];
            }
            if (!res)
            {
                Directory.CreateDirectory(dir);
                ExpertDataset.Write(gamesFile, list);
            }
            output.WriteLine($"imitate: {list.Count} games ({gamesFile}), {config}");
            using var stop = new StopSignal(error);
            var r = ImitationTrainer.Run(dir, list, config, res, progress: CommandSupport.Progress(output), cancel: stop.Token);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"imitate: {r.Steps} steps, train loss {r.TrainLoss:F4}, validation loss {r.ValidationLoss:F4}, validation accuracy {100 * r.ValidationAccuracy:F1}% -> {Path.Combine(dir, GameCheckpoint.ModelFile)}"));
            return r.Stopped ? CommandSupport.StoppedExitCode : 0;
        }));
        return cmd;
    }

    private static Command CreateSelfPlay()
    {
        var d = new SelfPlayConfig();
        var az = new AlphaZeroConfig();
        var outDir = new Option<string>("--out") { Description = "Run directory (metrics.jsonl, snapshots/, checkpoint/, model.safetensors).", Required = true };
        var init = new Option<string?>("--init") { Description = "Starting network: an imitate run directory or a .safetensors file (required unless --resume)." };
        var algorithm = new Option<string>("--algorithm") { Description = "pg: actor-critic policy gradient against a pool of past selves and the experts (default); az: AlphaZero-style, tree-search visit counts as policy targets.", DefaultValueFactory = _ => "pg" };
        algorithm.AcceptOnlyFromAmong("pg", "az");
        var iterations = new Option<int?>("--iterations") { Description = $"Iterations (default {d.Iterations} for pg: {d.GamesPerIteration} games + 1 update each; {az.Iterations} for az)." }.Require(v => v is null or >= 1, "--iterations must be at least 1.");
        var games = new Option<int?>("--games") { Description = $"Games per iteration (default {d.GamesPerIteration} for pg, {az.GamesPerIteration} for az)." }.Require(v => v is null or >= 1, "--games must be at least 1.");
        var experts = new Option<string>("--experts") { Description = "pg: expert opponents, comma-separated, weakest first (the last is reported as score_vs_best_expert).", DefaultValueFactory = _ => string.Join(',', d.ExpertOpponents) }
            .Require(v => v.Split(',').All(Experts.IsExpert), "--experts must list random, greedy or abN names separated by commas.");
        var expertFraction = new Option<double>("--expert-fraction") { Description = "pg: share of games against an expert (the rest against past snapshots).", DefaultValueFactory = _ => d.ExpertFraction }
            .Require(v => v is >= 0 and <= 1, "--expert-fraction must be between 0 and 1.");
        var sims = new Option<int>("--simulations") { Description = "az: tree-search simulations per move during self-play (training only; the ladder plays the raw network).", DefaultValueFactory = _ => az.Simulations }.Require(v => v >= 1, "--simulations must be at least 1.");
        var lr = new Option<float?>("--lr") { Description = $"AdamW learning rate (default {d.LearningRate} for pg, {az.LearningRate} for az)." }.Require(v => v is null or > 0, "--lr must be positive.");
        var every = new Option<int?>("--snapshot-every") { Description = $"Iterations between snapshots (points of the Elo curve, pg pool members) and checkpoints (default {d.SnapshotEvery} for pg, {az.SnapshotEvery} for az)." }.Require(v => v is null or >= 1, "--snapshot-every must be at least 1.");
        var seed = new Option<ulong>("--seed") { Description = "Seed of openings, opponents, move sampling (and az search noise, minibatches).", DefaultValueFactory = _ => 1 };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its checkpoint (bit-identical to an uninterrupted run); --iterations may extend it." };
        var quick = new Option<bool>("--quick") { Description = "Tiny settings for a smoke test (seconds)." };
        var cmd = new Command("selfplay", "Self-play RL from the imitation network; the game result is the only reward. Default: actor-critic policy gradient against past selves and the experts; --algorithm az: AlphaZero-style search targets.")
        {
            outDir, init, algorithm, iterations, games, experts, expertFraction, sims, lr, every, seed, resume, quick,
        };
        cmd.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, error) =>
        {
            string dir = parse.GetValue(outDir)!;
            bool q = parse.GetValue(quick), res = parse.GetValue(resume), isAz = parse.GetValue(algorithm) == "az";
            int? its = parse.GetValue(iterations), nGames = parse.GetValue(games), snapEvery = parse.GetValue(every);
            float? rate = parse.GetValue(lr);
            string initFile = res
                ? (isAz ? GameCheckpoint.ReadState<AlphaZeroState>(dir).InitFile : GameCheckpoint.ReadState<SelfPlayState>(dir).InitFile)
                : ResolveNetwork(parse.GetValue(init) ?? throw new IOException("--init is required: an imitate run directory or a network .safetensors file"));
            using var stop = new StopSignal(error);
            if (isAz)
            {
                var config = res ? AlphaZeroTrainer.ReadConfig(dir) is var saved && its is { } n ? saved with { Iterations = n } : AlphaZeroTrainer.ReadConfig(dir)
                    : q ? new AlphaZeroConfig(Iterations: 2, GamesPerIteration: 4, Simulations: 8, MinBuffer: 32, StepsPerIteration: 2, BatchSize: 32, SnapshotEvery: 1, Seed: parse.GetValue(seed))
                    : new AlphaZeroConfig(Iterations: its ?? az.Iterations, GamesPerIteration: nGames ?? az.GamesPerIteration, Simulations: parse.GetValue(sims),
                        LearningRate: rate ?? az.LearningRate, SnapshotEvery: snapEvery ?? az.SnapshotEvery, Seed: parse.GetValue(seed));
                output.WriteLine($"selfplay (az): from {initFile}, {config}");
                var r = AlphaZeroTrainer.Run(dir, initFile, config, res, progress: CommandSupport.Progress(output), cancel: stop.Token);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"selfplay: {r.Iterations} iterations, policy loss {r.PolicyLoss:F4}, value loss {r.ValueLoss:F4}, {r.Snapshots.Count} snapshots in {Path.Combine(dir, "snapshots")}"));
                return r.Stopped ? CommandSupport.StoppedExitCode : 0;
            }
            else
            {
                var config = res ? SelfPlayTrainer.ReadConfig(dir) is var saved && its is { } n ? saved with { Iterations = n } : SelfPlayTrainer.ReadConfig(dir)
                    : new SelfPlayConfig(Iterations: q ? 3 : its ?? d.Iterations, GamesPerIteration: q ? 4 : nGames ?? d.GamesPerIteration, LearningRate: rate ?? d.LearningRate,
                        Experts: parse.GetValue(experts)!.Split(','), ExpertFraction: parse.GetValue(expertFraction), SnapshotEvery: q ? 1 : snapEvery ?? d.SnapshotEvery, Seed: parse.GetValue(seed));
                output.WriteLine($"selfplay (pg): from {initFile}, {config} experts {string.Join(',', config.ExpertOpponents)}");
                var r = SelfPlayTrainer.Run(dir, initFile, config, res, progress: CommandSupport.Progress(output), cancel: stop.Token);
                output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"selfplay: {r.Iterations} iterations, last score vs experts {r.LastScoreVsExperts:F3}, vs own pool {r.LastScoreVsPool:F3}, {r.Snapshots.Count} snapshots in {Path.Combine(dir, "snapshots")}"));
                return r.Stopped ? CommandSupport.StoppedExitCode : 0;
            }
        }));
        return cmd;
    }

    private static Command CreateElo()
    {
        var imitation = new Option<string?>("--imitation") { Description = "An imitate run directory: its per-epoch snapshots join the ladder." };
        var selfplay = new Option<string?>("--selfplay") { Description = "A selfplay run directory: its snapshots join the ladder." };
        var experts = new Option<string>("--experts") { Description = "Comma-separated experts, weakest first; the last is 'the best expert'.", DefaultValueFactory = _ => string.Join(',', Experts.DefaultLadder) }
            .Require(v => v.Split(',').All(Experts.IsExpert), "--experts must list random, greedy or abN names separated by commas.");
        var openings = new Option<int>("--openings") { Description = "Two-ply openings each pair plays, both colours each (1-49; 49 = all).", DefaultValueFactory = _ => 49 }
            .Require(v => v is >= 1 and <= 49, "--openings must be between 1 and 49.");
        var maxSnapshots = new Option<int>("--max-snapshots") { Description = "At most this many snapshots per run (evenly spaced, the last always kept).", DefaultValueFactory = _ => 6 }.Require(v => v >= 1, "--max-snapshots must be at least 1.");
        var bootstrap = new Option<int>("--bootstrap") { Description = "Bootstrap resamples for the 95% intervals.", DefaultValueFactory = _ => 300 }.Require(v => v >= 10, "--bootstrap must be at least 10.");
        var outDir = new Option<string>("--out") { Description = "Directory for elo.json, elo.md, games.jsonl, rare_moves.jsonl and the plot.", Required = true };
        var plot = new Option<string?>("--plot") { Description = "Where to write the SVG plot (default: <out>/game-elo.svg)." };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the experts' tie-breaks and the bootstrap.", DefaultValueFactory = _ => 1 };
        var quick = new Option<bool>("--quick") { Description = "Two openings and 20 bootstrap resamples (smoke test)." };
        var cmd = new Command("elo", "Round-robin ladder between the experts, the imitation snapshots and the self-play snapshots (raw networks, greedy); Bradley-Terry Elo with bootstrap 95% intervals, the Elo-vs-training plot, and the self-play moves the imitation policy rated below 1e-3.")
        {
            imitation, selfplay, experts, openings, maxSnapshots, bootstrap, outDir, plot, seed, quick,
        };
        cmd.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            bool q = parse.GetValue(quick);
            string dir = parse.GetValue(outDir)!;
            Directory.CreateDirectory(dir);
            var entries = parse.GetValue(experts)!.Split(',').Select(e => new LadderEntry(Experts.Create(e), "expert")).ToList();
            string bestExpert = entries[^1].Name;
            int epochs = 0, every = 1;
            string? lastImitation = null, lastSelfPlay = null;
            if (parse.GetValue(imitation) is { } im)
            {
                var snaps = Snapshots(im, "imitate-e");
                epochs = snaps.Max(s => s.Index);
                foreach (var (i, f) in Spread(snaps, parse.GetValue(maxSnapshots)))
                    entries.Add(new LadderEntry(new NetPlayer($"imitation@e{i}", PolicyValueNet.Load(f)), "imitation", i));
                lastImitation = entries[^1].Name;
            }
            if (parse.GetValue(selfplay) is { } sp)
            {
                var snaps = Snapshots(sp, "selfplay-i").Where(s => s.Index > 0).ToList();
                every = snaps.Count > 0 ? snaps.Min(s => s.Index) : 1;
                foreach (var (i, f) in Spread(snaps, parse.GetValue(maxSnapshots)))
                    entries.Add(new LadderEntry(new NetPlayer($"selfplay@i{i}", PolicyValueNet.Load(f)), "selfplay", epochs + (double)i / every));
                lastSelfPlay = entries[^1].Group == "selfplay" ? entries[^1].Name : null;
            }
            var openingList = Referee.TwoPlyOpenings().Take(q ? 2 : parse.GetValue(openings)).ToList();
            int n = entries.Count;
            output.WriteLine($"elo: {n} players, {n * (n - 1) / 2} pairs x {2 * openingList.Count} games");
            var rng = new Rng(parse.GetValue(seed));
            int lastPct = -1;
            var result = EloLadder.Run(entries, openingList, rng, q ? 20 : parse.GetValue(bootstrap), progress: (done, total) =>
            {
                int pct = 100 * done / total;
                if (pct / 10 != lastPct / 10) output.WriteLine($"elo: {done}/{total} pairs");
                lastPct = pct;
            });

            // tables, headline, files
            var md = new StringBuilder("| player | group | Elo | 95% CI | games | score |\n|---|---|---:|---|---:|---:|\n");
            foreach (var r in result.Ratings)
                md.Append(string.Create(CultureInfo.InvariantCulture, $"| {r.Name} | {r.Group} | {r.Elo:F0} | [{r.Lo:F0}, {r.Hi:F0}] | {r.Games} | {100 * r.ScoreShare:F1}% |\n"));
            var headline = new List<string>();
            int best = result.IndexOf(bestExpert);
            void Versus(string? name, string label)
            {
                if (name is null) return;
                int k = result.IndexOf(name);
                var pair = result.Pairs.First(p => (p.I == k && p.J == best) || (p.I == best && p.J == k));
                var (w, dr, l) = pair.I == k ? (pair.Wins, pair.Draws, pair.Losses) : (pair.Losses, pair.Draws, pair.Wins);
                double diff = result.Ratings[k].Elo - result.Ratings[best].Elo;
                headline.Add(string.Create(CultureInfo.InvariantCulture,
                    $"{label} {name} vs best expert {bestExpert}: Elo difference {diff:+0;-0} (95% CI [{result.DiffLo[k, best]:+0;-0}, {result.DiffHi[k, best]:+0;-0}]{(result.DiffLo[k, best] > 0 ? ", excludes 0: above" : result.DiffHi[k, best] < 0 ? ", excludes 0: below" : ", includes 0")}); head to head {w}W {dr}D {l}L"));
            }
            string? bestImitation = result.Ratings.Where(r => r.Group == "imitation").MaxBy(r => r.Elo)?.Name;
            Versus(bestImitation, "best imitation snapshot");
            Versus(lastImitation, "final imitation");
            Versus(lastSelfPlay, "final self-play");
            md.Append('\n');
            foreach (var h in headline) md.Append("- ").Append(h).Append('\n');
            output.Write(md.ToString());

            List<RareMove> rare = [];
            if (lastSelfPlay is not null && lastImitation is not null)
            {
                var spNet = ((NetPlayer)entries[result.IndexOf(lastSelfPlay)].Player).Net;
                var imNet = ((NetPlayer)entries[result.IndexOf(lastImitation)].Player).Net;
                rare = RareMoves.Find(result.Games, lastSelfPlay, spNet, imNet);
                output.WriteLine($"{rare.Count} distinct moves of {lastSelfPlay} that {lastImitation} rated below 1e-3 " +
                    $"(results: {rare.Count(m => m.Outcome == "win")} win, {rare.Count(m => m.Outcome == "draw")} draw, {rare.Count(m => m.Outcome == "loss")} loss); rarest:");
                foreach (var m in rare.Take(10))
                    output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"  after \"{m.Position}\" column {m.Column}: imitation p={m.ImitationProbability:E1}, self-play p={m.SelfPlayProbability:F3}, vs {m.Opponent}: {m.Outcome}"));
            }
            string plotPath = parse.GetValue(plot) ?? Path.Combine(dir, "game-elo.svg");
            if (Path.GetDirectoryName(Path.GetFullPath(plotPath)) is { } plotDir) Directory.CreateDirectory(plotDir);
            var plotted = result.Ratings.ToList();
            if (lastImitation is not null && lastSelfPlay is not null) // the self-play line starts where imitation ended
                plotted.Add(result.Ratings[result.IndexOf(lastImitation)] with { Group = "selfplay" });
            Rlhf.Tensors.Serialization.AtomicFile.WriteAllText(plotPath, EloPlot.Svg(plotted, "Connect Four: Elo vs training (raw networks, no search)",
                $"imitation epochs e1-e{epochs}, then self-play iterations iN ({every} iterations = 1 unit)"));
            Rlhf.Tensors.Serialization.AtomicFile.WriteAllText(Path.Combine(dir, "elo.md"), md.ToString());
            Rlhf.Tensors.Serialization.AtomicFile.WriteAllText(Path.Combine(dir, "elo.json"), JsonSerializer.Serialize(new
            {
                ratings = result.Ratings, pairs = result.Pairs.Select(p => new { a = entries[p.I].Name, b = entries[p.J].Name, p.Wins, p.Draws, p.Losses }),
                headline, best_expert = bestExpert, openings = openingList.Count,
            }, Json));
            Jsonl.Write(Path.Combine(dir, "games.jsonl"), result.Games);
            Jsonl.Write(Path.Combine(dir, "rare_moves.jsonl"), rare);
            output.WriteLine($"elo: wrote {Path.Combine(dir, "elo.md")}, elo.json, games.jsonl, rare_moves.jsonl and {plotPath}");
            return 0;
        }));
        return cmd;
    }

    private static Command CreatePlay()
    {
        var first = new Option<string>("--first") { Description = "First player: an expert name (random, greedy, abN), an imitate/selfplay run directory or network .safetensors file (raw policy), or mctsN:<network> (with N search simulations per move).", Required = true };
        var second = new Option<string>("--second") { Description = "Second player (same forms).", Required = true };
        var games = new Option<int>("--games") { Description = "Games, alternating colours, from the two-ply openings in turn.", DefaultValueFactory = _ => 2 }.Require(v => v >= 1, "--games must be at least 1.");
        var seed = new Option<ulong>("--seed") { Description = "Seed of the experts' tie-breaks.", DefaultValueFactory = _ => 1 };
        var show = new Option<bool>("--show") { Description = "Print each final board." };
        var cmd = new Command("play", "A quick match between two players; prints each game and the score.") { first, second, games, seed, show };
        cmd.SetAction(parse => CommandSupport.RunReportingErrors(parse, (output, _) =>
        {
            var a = LoadPlayer(parse.GetValue(first)!, "A");
            var b = LoadPlayer(parse.GetValue(second)!, "B");
            var rng = new Rng(parse.GetValue(seed));
            var openings = Referee.TwoPlyOpenings();
            double score = 0;
            int n = parse.GetValue(games);
            for (int g = 0; g < n; g++)
            {
                bool aFirst = g % 2 == 0;
                var rec = aFirst ? Referee.Play(a, b, rng, openings[g / 2 % openings.Length]) : Referee.Play(b, a, rng, openings[g / 2 % openings.Length]);
                double s = aFirst ? rec.FirstScore : 1 - rec.FirstScore;
                score += s;
                output.WriteLine($"game {g + 1}: {rec.First} (X) vs {rec.Second} (O): {rec.MoveString} -> {(rec.Winner < 0 ? "draw" : (rec.Winner == 0 ? rec.First : rec.Second) + " wins")}");
                if (rec.Forfeit is not null) output.WriteLine("  " + rec.Forfeit.Replace("\n", "\n  "));
                if (parse.GetValue(show)) output.WriteLine(ConnectFour.FromMoves(rec.Moves));
            }
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{a.Name} scored {score:0.#}/{n} against {b.Name}"));
            return 0;
        }));
        return cmd;
    }

    /// <summary>An expert by name, a network (run directory or .safetensors file) playing greedily, or <c>mctsN:&lt;network&gt;</c> (N search simulations per move).</summary>
    private static IPlayer LoadPlayer(string spec, string fallbackName)
    {
        if (Experts.IsExpert(spec)) return Experts.Create(spec);
        int colon = spec.IndexOf(':');
        if (spec.StartsWith("mcts", StringComparison.Ordinal) && colon > 4 && int.TryParse(spec.AsSpan(4, colon - 4), CultureInfo.InvariantCulture, out int sims) && sims >= 1)
            return new MctsPlayer(spec[..colon], PolicyValueNet.Load(ResolveNetwork(spec[(colon + 1)..])), new MctsConfig(sims, NoiseFraction: 0));
        string name = Path.GetFileNameWithoutExtension(spec.TrimEnd('/'));
        return new NetPlayer(name.Length > 0 ? name : fallbackName, PolicyValueNet.Load(ResolveNetwork(spec)));
    }

    /// <summary>A network file: the path itself, or <c>model.safetensors</c> in a run directory (else its checkpoint's).</summary>
    private static string ResolveNetwork(string path)
    {
        if (File.Exists(path)) return path;
        foreach (var f in new[] { Path.Combine(path, GameCheckpoint.ModelFile), Path.Combine(path, "checkpoint", GameCheckpoint.ModelFile) })
            if (File.Exists(f)) return f;
        throw new FileNotFoundException($"{path}: not a network file nor a run directory with {GameCheckpoint.ModelFile}");
    }

    /// <summary>Snapshots <c>&lt;dir&gt;/snapshots/&lt;prefix&gt;N.safetensors</c> by N.</summary>
    private static List<(int Index, string File)> Snapshots(string dir, string prefix)
    {
        string snapDir = Path.Combine(dir, "snapshots");
        if (!Directory.Exists(snapDir)) throw new DirectoryNotFoundException($"{dir}: no snapshots/ directory (not a game training run)");
        var list = Directory.GetFiles(snapDir, prefix + "*.safetensors")
            .Select(f => (Ok: int.TryParse(Path.GetFileNameWithoutExtension(f)[prefix.Length..], CultureInfo.InvariantCulture, out int i), Index: i, File: f))
            .Where(t => t.Ok).Select(t => (t.Index, t.File)).OrderBy(t => t.Index).ToList();
        return list.Count > 0 ? list : throw new FileNotFoundException($"{snapDir}: no {prefix}*.safetensors snapshots");
    }

    /// <summary>At most <paramref name="max"/> items evenly spaced over the list, the last always included.</summary>
    private static IEnumerable<(int Index, string File)> Spread(List<(int Index, string File)> list, int max)
    {
        if (list.Count <= max) return list;
        return Enumerable.Range(1, max).Select(k => list[(int)Math.Round((double)k * list.Count / max) - 1]).Distinct();
    }
}
