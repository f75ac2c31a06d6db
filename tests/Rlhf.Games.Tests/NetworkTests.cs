using Rlhf.Tensors;

namespace Rlhf.Games.Tests;

public class NetworkTests
{
    [Fact]
    public void Fast_single_position_evaluation_matches_the_autograd_forward()
    {
        var net = PolicyValueNet.Create(24, new Rng(5));
        foreach (var moves in new[] { "", "3", "334455", "000000123" })
        {
            var b = ConnectFour.FromMoves(moves);
            var x = new float[BoardFeatures.Size];
            var m = new float[7];
            BoardFeatures.Encode(b, x, m);
            var (logits, value) = net.Forward(Tensor.FromArray(x, 1, x.Length), Tensor.FromArray(m, 1, 7));
            var expected = Ops.Softmax(logits).ToArray();
            var (probs, v) = net.Evaluate(b);
            for (int c = 0; c < 7; c++) Assert.Equal(expected[c], probs[c], 5);
            Assert.Equal(value.Item(), v, 5);
            if (moves == "000000123") Assert.Equal(0f, probs[0]); // full column: masked out exactly
        }
    }

    [Fact]
    public void Features_are_from_the_side_to_move_with_tactical_bits()
    {
        var b = ConnectFour.FromMoves("06162"); // O to move; X threatens column 3
        var x = new float[BoardFeatures.Size];
        var m = new float[7];
        BoardFeatures.Encode(b, x, m);
        Assert.Equal(1, x[6]);                 // own (O) stone at row 0, col 6
        Assert.Equal(1, x[42 + 0]);            // opponent (X) stone at row 0, col 0
        Assert.Equal(1, x[84 + 3]);            // column 3 playable at row 0
        Assert.Equal(0, x[126 + 3 * 3]);       // O cannot win in column 3
        Assert.Equal(1, x[126 + 3 * 3 + 1]);   // ... but must block there
        Assert.All(m, v => Assert.Equal(0, v));
    }

    [Fact]
    public void Save_and_load_round_trip_and_bad_files_are_named()
    {
        using var tmp = new TempDir();
        var net = PolicyValueNet.Create(16, new Rng(2));
        net.Save(tmp.File("n.safetensors"));
        var back = PolicyValueNet.Load(tmp.File("n.safetensors"));
        for (int i = 0; i < net.Parameters.Count; i++) Assert.Equal(net.Parameters[i].ToArray(), back.Parameters[i].ToArray());
        Assert.Throws<FileNotFoundException>(() => PolicyValueNet.Load(tmp.File("missing.safetensors")));
        Rlhf.Tensors.Serialization.Safetensors.Save(tmp.File("other.safetensors"), new Dictionary<string, Tensor> { ["w"] = Tensor.Zeros(2) });
        var e = Assert.Throws<InvalidDataException>(() => PolicyValueNet.Load(tmp.File("other.safetensors")));
        Assert.Contains("other.safetensors", e.Message);
    }

    [Fact]
    public void AlphaZero_loss_matches_a_hand_computed_example_and_its_gradient_is_softmax_minus_pi()
    {
        // one row, 3 legal of 7 columns; logits 0, ln 2, ln 3 → p = 1/6, 2/6, 3/6; π = (0.5, 0.5, 0); v = 0.5, z = 1
        float ill = BoardFeatures.IllegalLogit;
        var logits = Tensor.FromArray([0f, MathF.Log(2), MathF.Log(3), ill, ill, ill, ill], 1, 7);
        logits.RequiresGrad = true;
        var value = Tensor.FromArray([0.5f], 1);
        value.RequiresGrad = true;
        var pi = Tensor.FromArray([0.5f, 0.5f, 0, 0, 0, 0, 0], 1, 7);
        var (total, policy, v) = AlphaZeroLoss.Compute(logits, value, pi, Tensor.FromArray([1f], 1), valueWeight: 2f);
        double expectedPolicy = -(0.5 * Math.Log(1.0 / 6) + 0.5 * Math.Log(2.0 / 6));
        Assert.Equal(expectedPolicy, policy, 5);
        Assert.Equal(0.25, v, 6);
        Assert.Equal(expectedPolicy + 2 * 0.25, total.Item(), 5);
        total.Backward();
        float[] g = logits.Grad!.ToArray();
        double[] expected = [1.0 / 6 - 0.5, 2.0 / 6 - 0.5, 3.0 / 6, 0, 0, 0, 0];
        for (int c = 0; c < 7; c++) Assert.Equal(expected[c], g[c], 5);
        Assert.Equal(2 * 2 * (0.5 - 1), value.Grad!.Item(), 5); // d/dv c·(v − z)² = 2c(v − z)
    }

    [Fact]
    public void Actor_critic_loss_matches_a_hand_computed_example_with_a_detached_baseline()
    {
        // two legal columns, p = (1/4, 3/4); action 1, z = 1, v = 0.5 ⇒ A = 0.5
        float ill = BoardFeatures.IllegalLogit;
        var logits = Tensor.FromArray([0f, MathF.Log(3), ill, ill, ill, ill, ill], 1, 7);
        logits.RequiresGrad = true;
        var value = Tensor.FromArray([0.5f], 1);
        value.RequiresGrad = true;
        var (total, policy, v, entropy) = ActorCriticLoss.Compute(logits, value, [1], [1f], valueCoef: 0.5f, entropyCoef: 0f);
        Assert.Equal(-0.5 * Math.Log(0.75), policy, 5);
        Assert.Equal(0.25, v, 6);
        Assert.Equal(-(0.25 * Math.Log(0.25) + 0.75 * Math.Log(0.75)), entropy, 5);
        Assert.Equal(-0.5 * Math.Log(0.75) + 0.5 * 0.25, total.Item(), 5);
        total.Backward();
        var g = logits.Grad!.ToArray();
        Assert.Equal(0.125, g[0], 5);  // −A·(onehot − p)
        Assert.Equal(-0.125, g[1], 5);
        Assert.Equal(0, g[2], 6);
        Assert.Equal(-0.5, value.Grad!.Item(), 5); // only c_v·2(v − z): no gradient through the advantage
    }

    [Fact]
    public void Imitation_loss_matches_a_hand_computed_example()
    {
        var logits = Tensor.FromArray([0f, MathF.Log(3), 0, 0, 0, 0, 0], 1, 7); // p(1) = 3/9
        var (total, policy, v) = ImitationLoss.Compute(logits, Tensor.FromArray([0f], 1), [1], Tensor.FromArray([-1f], 1), 0.5f);
        Assert.Equal(-Math.Log(3.0 / 9), policy, 5);
        Assert.Equal(1, v, 6);
        Assert.Equal(-Math.Log(3.0 / 9) + 0.5, total.Item(), 5);
    }

    [Fact]
    public void Search_finds_the_win_and_the_block_even_with_an_untrained_network()
    {
        var net = PolicyValueNet.Create(16, new Rng(1));
        var mcts = new Mcts(net, new MctsConfig(Simulations: 200, NoiseFraction: 0));
        var win = mcts.Search(ConnectFour.FromMoves("001122"), new Rng(1));
        Assert.Equal(200, win.Sum());
        Assert.Equal(3, Array.IndexOf(win, win.Max()));
        var block = mcts.Search(ConnectFour.FromMoves("06162"), new Rng(1));
        Assert.Equal(3, Array.IndexOf(block, block.Max()));
        var full = mcts.Search(ConnectFour.FromMoves("000000"), new Rng(1));
        Assert.Equal(0, full[0]); // a full column is never visited
    }
}
