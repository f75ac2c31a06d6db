using Rlhf.Models;
using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Training.Distributed;
using Rlhf.Training.Rl;

namespace Rlhf.Training.Ppo;

/// <summary>
/// Steps 6 and 7 of a PPO iteration (<see cref="PpoTrainer"/>): several epochs of shuffled minibatch updates on one
/// rollout, each minimising (Schulman et al. 2017, eq. 9, as a loss; Ouyang et al. 2022, eq. 2 for the ptx term)
/// <code>
/// L = L_clip(θ) + c₁·L_V(φ) − c₂·H[π_θ] + γ_ptx·CE_pretrain(θ)
/// </code>
/// A minibatch whose loss or gradient is not finite is skipped (counted, gradients dropped), so one poisoned batch
/// cannot destroy the weights. Under <c>mpiexec</c> (every rank holding the whole experience) each rank runs its
/// contiguous rows of every minibatch; its gradient is weighted by its share of the minibatch's response tokens (the
/// losses are token means) and summed over the ranks before the clip (<see cref="GradientAllReduce"/>), so every rank
/// takes the one-process step; the ptx term is computed by every rank (its weights sum to 1).
/// </summary>
public sealed class PpoEpochs(PpoConfig config, ICausalLm policy, Critic critic, AdamW policyOptimizer, AdamW? criticOptimizer, PtxBatches? ptx)
{
    /// <summary>Runs <see cref="PpoConfig.Epochs"/> epochs over <paramref name="experience"/>; minibatch order and ptx windows come from <paramref name="rng"/>.</summary>
    public PpoUpdateStats Run(PpoExperience experience, Rng rng)
    {
        ArgumentNullException.ThrowIfNull(experience);
        ArgumentNullException.ThrowIfNull(rng);
        int n = experience.Batch.Batch;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        double pg = 0, vf = 0, clip = 0, vclip = 0, approxKl = 0, entropy = 0, ptxLoss = 0, norm = 0;
        int updates = 0, skipped = 0, entropyCount = 0;
        float maxNorm = config.GradClip > 0 ? config.GradClip : float.PositiveInfinity;
        bool distributed = DataParallel.IsDistributed;
        for (int epoch = 0; epoch < config.Epochs; epoch++)
        {
            rng.Shuffle(order.AsSpan());
            for (int start = 0; start < n; start += config.MinibatchSize)
            {
                var rows = order[start..Math.Min(n, start + config.MinibatchSize)];
                // under mpiexec each rank runs its contiguous part of the minibatch's rows; the losses are token means, so
                // its gradient counts with its share of the minibatch's response tokens (DataParallel), summed over ranks
                double share = 1;
                if (distributed)
                {
                    var (first, count) = DataParallel.ShardOf(rows.Length);
                    double all = 0, mine = 0;
                    for (int k = 0; k < rows.Length; k++)
                    {
                        all += experience.Batch.ResponseLengths[rows[k]];
                        if (k >= first && k < first + count) mine += experience.Batch.ResponseLengths[rows[k]];
                    }
                    share = all > 0 ? mine / all : 0;
                    rows = rows[first..(first + count)];
                }
                Tensor? loss = null;
                PolicyLossOutput? policyLoss = null;
                ValueLossOutput? valueLoss = null;
                double h = double.NaN, ptxValue = double.NaN;
                if (rows.Length > 0 && share > 0)
                {
                    var mb = experience.Batch.Select(rows);

                    // 6a. policy and value forward on the minibatch (values from the shared trunk or the critic's own)
                    var output = PolicyForward.Run(policy, mb, config.Temperature);               // (b, L) log-probs, (b, L, V) logits
                    var values = critic.Shared ? critic.Values(output) : critic.Values(mb);       // (b, L)

                    // 6b. clipped surrogate (Schulman et al. 2017, eq. 7) and clipped value loss (Ziegler et al. 2019)
                    policyLoss = PpoLoss.Policy(output.LogProbs, experience.Gather(experience.OldLogProbs, rows),
                        experience.Gather(experience.Advantages, rows), mb.ResponseMask, config.ClipRange);
                    valueLoss = PpoLoss.Value(values, experience.Gather(experience.OldValues, rows),
                        experience.Gather(experience.Returns, rows), mb.ResponseMask, config.ValueClipRange);
                    loss = policyLoss.Loss + config.ValueCoef * valueLoss.Loss;

                    // 6c. entropy: a bonus in the loss when c₂ > 0 (Schulman et al. 2017, eq. 9), else only measured; the logged
                    //     value is the first epoch's either way (the policy that sampled the rollout)
                    if (config.EntropyCoef > 0)
                    {
                        var ent = Ops.MaskedMean(Ops.Entropy(output.Logits), Tensor.FromArray(mb.ResponseMask, mb.Batch, mb.ResponseLength));
                        loss = loss - config.EntropyCoef * ent;
                        h = ent.Item();
                    }
                    else if (epoch == 0)
                    {
                        using var noGrad = Tensor.NoGrad();
                        h = Ops.MaskedMean(Ops.Entropy(output.Logits), Tensor.FromArray(mb.ResponseMask, mb.Batch, mb.ResponseLength)).Item();
                    }
                }

                // 7. PPO-ptx: γ·(next-token cross-entropy on pretraining text) keeps the LM's general ability (Ouyang et al. 2022, eq. 2)
                if (ptx is not null && config.PtxCoef > 0)
                {
                    var (inputs, targets) = ptx.Sample(config.PtxBatchSize, rng);
                    var ce = Ops.CrossEntropy(policy.Logits(policy.Forward(inputs, config.PtxBatchSize, ptx.SeqLen)), targets);
                    loss = loss is null ? config.PtxCoef * ce : loss + config.PtxCoef * ce; // replicated: the shares sum to 1
                    ptxValue = ce.Item();
                }

                // 6d. backward, clip each model's gradient norm, step — or skip a non-finite minibatch (all ranks alike)
                float lossValue = loss?.Item() ?? 0f;
                if (distributed)
                {
                    double[] bad = [float.IsFinite(lossValue) ? 0 : 1];
                    DataParallel.World.AllReduceSum(bad);
                    if (bad[0] > 0) lossValue = float.NaN;
                }
                if (!float.IsFinite(lossValue)) { skipped++; continue; }
                loss?.Backward();
                if (distributed)
                {
                    GradientAllReduce.Run(DataParallel.World, policyOptimizer.Parameters, share);
                    if (criticOptimizer is not null) GradientAllReduce.Run(DataParallel.World, criticOptimizer.Parameters, share);
                }
                double gp = GradClip.ClipGlobalNorm(policyOptimizer.Parameters, maxNorm);
                double gc = criticOptimizer is null ? 0 : GradClip.ClipGlobalNorm(criticOptimizer.Parameters, maxNorm);
                if (!double.IsFinite(gp) || !double.IsFinite(gc))
                {
                    policyOptimizer.ZeroGrad();
                    criticOptimizer?.ZeroGrad();
                    skipped++;
                    continue;
                }
                policyOptimizer.Step();
                criticOptimizer?.Step();
                policyOptimizer.ZeroGrad();
                criticOptimizer?.ZeroGrad();

                updates++;
                // the minibatch's figures: token means over this rank's rows, combined over ranks with the same shares
                double[] figures = policyLoss is null || valueLoss is null ? [0, 0, 0, 0, 0, 0]
                    : [share * policyLoss.Loss.Item(), share * valueLoss.Loss.Item(), share * policyLoss.ClipFraction, share * valueLoss.ClipFraction, share * policyLoss.ApproxKl, share * h];
                if (distributed)
                {
                    DataParallel.World.AllReduceSum(figures);
                    h = epoch == 0 || config.EntropyCoef > 0 ? figures[5] : double.NaN;
                }
                pg += figures[0];
                vf += figures[1];
                clip += figures[2];
                vclip += figures[3];
                approxKl += figures[4];
                norm += gp;
                if (!double.IsNaN(ptxValue)) ptxLoss += ptxValue;
                if (epoch == 0 && !double.IsNaN(h)) { entropy += h; entropyCount++; } // always the first epoch's: the rollout policy's entropy
            }
        }
        double Mean(double sum, int count) => count > 0 ? sum / count : double.NaN;
        return new PpoUpdateStats(Mean(pg, updates), Mean(vf, updates), Mean(clip, updates), Mean(vclip, updates), Mean(approxKl, updates),
            Mean(entropy, entropyCount), ptx is not null && config.PtxCoef > 0 ? Mean(ptxLoss, updates) : double.NaN, Mean(norm, updates), updates, skipped);
    }
}
