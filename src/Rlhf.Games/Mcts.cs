using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>
/// Monte-Carlo tree search guided by a <see cref="PolicyValueNet"/> (PUCT, AlphaGo Zero, Silver et al. 2017): each
/// simulation walks down by a = argmax_a Q(s, a) + c_puct·P(s, a)·√(N(s) + 1)/(1 + N(s, a)), expands the first
/// new position with the network's (P, v) — or scores a finished game exactly (win −1 for the side to move there,
/// draw 0) — and backs the value up the path with alternating sign. Q of an unvisited edge is the node's own network
/// value minus <see cref="MctsConfig.FpuReduction"/> ("first-play urgency" as in Leela Zero; AlphaGo Zero's 0 makes a
/// losing side visit every move once before any good one twice, flattening the visit targets). Returns the root's
/// visit counts, the improved policy that self-play training distils into the network.
/// </summary>
public sealed class Mcts(PolicyValueNet net, MctsConfig config)
{
    private sealed class Node
    {
        public readonly float[] P = new float[ConnectFour.Columns], W = new float[ConnectFour.Columns];
        public readonly int[] N = new int[ConnectFour.Columns];
        public readonly Node?[] Children = new Node?[ConnectFour.Columns];
        public int Total;
        public float Value; // the network's value of this node's position, for its side to move
    }

    /// <summary>The settings.</summary>
    public MctsConfig Config { get; } = config;

    /// <summary>Visit counts of the 7 root moves after <see cref="MctsConfig.Simulations"/> simulations from <paramref name="root"/> (not over).</summary>
    public int[] Search(ConnectFour root, Rng rng)
    {
        if (root.IsOver) throw new ArgumentException("Mcts: the game is over", nameof(root));
        var (rootNode, _) = Expand(root);
        if (Config.NoiseFraction > 0) AddNoise(rootNode, root, rng);
        var path = new List<(Node Node, int Action)>(ConnectFour.Cells);
        for (int sim = 0; sim < Config.Simulations; sim++)
        {
            // 1. select down to a new or terminal position
            path.Clear();
            Node node = rootNode;
            var pos = root;
            float leaf; // value for the side to move at the last position reached
            while (true)
            {
                int a = Select(node, pos);
                path.Add((node, a));
                var next = pos.PlayUnchecked(a);
                if (next.IsWinningFor(1 - next.ToMove)) { leaf = -1f; break; }
                if (next.MovesPlayed == ConnectFour.Cells) { leaf = 0f; break; }
                if (node.Children[a] is not { } child)
                {
                    // 2. expand with the network
                    (node.Children[a], leaf) = Expand(next);
                    break;
                }
                (node, pos) = (child, next);
            }
            // 3. back up: each edge scores the value for the player who chose it
            for (int i = path.Count - 1; i >= 0; i--)
            {
                leaf = -leaf;
                var (n, a) = path[i];
                n.N[a]++;
                n.W[a] += leaf;
                n.Total++;
            }
        }
        return rootNode.N;
    }

    private (Node Node, float Value) Expand(ConnectFour pos)
    {
        var (p, v) = net.Evaluate(pos);
        var node = new Node { Value = v };
        p.CopyTo(node.P, 0);
        return (node, v);
    }

    private int Select(Node node, ConnectFour pos)
    {
        float sqrtTotal = MathF.Sqrt(node.Total + 1);
        int best = -1;
        float bestScore = float.NegativeInfinity;
        for (int a = 0; a < ConnectFour.Columns; a++)
        {
            if (!pos.HasRoom(a)) continue;
            float q = node.N[a] > 0 ? node.W[a] / node.N[a] : node.Value - Config.FpuReduction;
            float u = Config.CPuct * node.P[a] * sqrtTotal / (1 + node.N[a]);
            if (q + u > bestScore) (bestScore, best) = (q + u, a);
        }
        return best;
    }

    /// <summary>P ← (1 − ε)·P + ε·η over the legal moves, η ~ Dirichlet(α) as normalised Gamma(α, 1) draws (Marsaglia–Tsang; −ln U at α = 1).</summary>
    private void AddNoise(Node root, ConnectFour pos, Rng rng)
    {
        Span<float> eta = stackalloc float[ConnectFour.Columns];
        float sum = 0;
        for (int a = 0; a < ConnectFour.Columns; a++)
            if (pos.IsLegal(a)) sum += eta[a] = Gamma(Config.DirichletAlpha, rng);
        for (int a = 0; a < ConnectFour.Columns; a++)
            if (pos.IsLegal(a)) root.P[a] = (1 - Config.NoiseFraction) * root.P[a] + Config.NoiseFraction * eta[a] / sum;
    }

    private static float Gamma(float alpha, Rng rng)
    {
        if (alpha == 1f) return -MathF.Log(1f - rng.NextFloat());
        if (alpha < 1f) return Gamma(alpha + 1f, rng) * MathF.Pow(1f - rng.NextFloat(), 1f / alpha); // boost (Marsaglia–Tsang §6)
        float d = alpha - 1f / 3f, c = 1f / MathF.Sqrt(9f * d);
        while (true)
        {
            float x = rng.NextNormal(), v = 1f + c * x;
            if (v <= 0) continue;
            v = v * v * v;
            float u = 1f - rng.NextFloat();
            if (MathF.Log(u) < 0.5f * x * x + d - d * v + d * MathF.Log(v)) return d * v;
        }
    }
}
