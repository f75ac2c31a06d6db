using Rlhf.Tensors;

namespace Rlhf.Games;

/// <summary>A player that runs <see cref="Mcts"/> with a network and plays the most visited column (no root noise unless configured).</summary>
public sealed class MctsPlayer(string name, PolicyValueNet net, MctsConfig config) : IPlayer
{
    private readonly Mcts _mcts = new(net, config);

    /// <inheritdoc/>
    public string Name { get; } = name;

    /// <inheritdoc/>
    public int ChooseMove(ConnectFour position, Rng rng)
    {
        var visits = _mcts.Search(position, rng);
        return Array.IndexOf(visits, visits.Max());
    }
}
