namespace Rlhf.Games;

/// <summary>
/// Settings of <see cref="Mcts"/> (PUCT search of AlphaGo Zero, Silver et al. 2017, "Methods: Search algorithm").
/// </summary>
/// <param name="Simulations">Simulations per move (each one network evaluation, or a terminal position).</param>
/// <param name="CPuct">Exploration constant c_puct of U(s, a) = c_puct·P(s, a)·√(N(s) + 1)/(1 + N(s, a)).</param>
/// <param name="NoiseFraction">ε of the root prior mix (1 − ε)·P + ε·η, η ~ Dirichlet(α) (0 = no noise: evaluation).</param>
/// <param name="DirichletAlpha">α of the root noise (AlphaZero: ≈ 10 / average legal moves; 1.0 here for 7 columns, sampled as normalised Gamma(α) draws, exactly Exp(1) at α = 1).</param>
/// <param name="FpuReduction">Q of an unvisited edge = the node's network value minus this.</param>
public sealed record MctsConfig(int Simulations = 64, float CPuct = 1.5f, float NoiseFraction = 0.25f, float DirichletAlpha = 1f, float FpuReduction = 0.2f);
