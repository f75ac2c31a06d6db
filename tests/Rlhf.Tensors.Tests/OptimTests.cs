using Rlhf.Tensors;
using Rlhf.Tensors.Optim;
using Rlhf.Tensors.Serialization;

namespace Rlhf.Tensors.Tests;

public sealed class OptimTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("rlhf-optim-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Tensor Param(string name, float[] values, params int[] shape) =>
        new(values, shape) { Name = name, RequiresGrad = true };

    private static void SetGrad(Tensor p, params float[] g) => p.Grad = Tensor.FromArray(g, p.ShapeArray());

    private static void AssertNear(double expected, float actual, double tol = 1e-6) =>
        GradCheck.AssertClose(expected, actual, tol, 0, "value");

    // ------------------------------------------------------------------------------------------------ AdamW

    [Fact]
    public void AdamW_TwoSteps_MatchHandComputation()
    {
        // lr 0.1, β1 0.9, β2 0.95, ε 1e-8, wd 0.1; W (rank 2) decays, b (rank 1) does not.
        var w = Param("w", [1f, -2f], 1, 2);
        var b = Param("b", [1f, 1f], 2);
        var opt = new AdamW([w, b], new AdamWConfig(LearningRate: 0.1f, Beta1: 0.9f, Beta2: 0.95f, Eps: 1e-8f, WeightDecay: 0.1f));

        // step 1, W[0,0] = 1, g = 0.5:
        //   decay  p = 1·(1 − 0.1·0.1)            = 0.99
        //   m = 0.1·0.5 = 0.05,  v = 0.05·0.25     = 0.0125
        //   m̂ = 0.05/(1 − 0.9) = 0.5,  v̂ = 0.0125/(1 − 0.95) = 0.25,  √v̂ = 0.5
        //   p = 0.99 − 0.1·0.5/(0.5 + 1e-8)       = 0.89 (+2e-9)
        // W[0,1] = −2, g = 0.1: p = −1.98 − 0.1·0.1/(0.1 + 1e-8) = −2.08
        // b = [1, 1], g = [−0.2, 0]: no decay; first Adam step moves by lr·sign(g): [1.1, 1] (g = 0 → update 0/ε = 0)
        SetGrad(w, 0.5f, 0.1f);
        SetGrad(b, -0.2f, 0f);
        opt.Step();
        AssertNear(0.89, w[0, 0]);
        AssertNear(-2.08, w[0, 1]);
        AssertNear(1.1, b[0]);
        Assert.Equal(1f, b[1]);

        // step 2, W[0,0] = 0.89, g = −0.5:
        //   decay  p = 0.89·0.99 = 0.8811
        //   m = 0.9·0.05 + 0.1·(−0.5) = −0.005;   v = 0.95·0.0125 + 0.05·0.25 = 0.024375
        //   m̂ = −0.005/(1 − 0.81) = −0.026315789…;  v̂ = 0.024375/(1 − 0.9025) = 0.25;  √v̂ = 0.5
        //   p = 0.8811 − 0.1·(−0.026315789)/0.5 = 0.8811 + 0.0052631579 = 0.8863631579
        SetGrad(w, -0.5f, 0.1f);
        SetGrad(b, -0.2f, 0f);
        opt.Step();
        AssertNear(0.8863631579, w[0, 0]);
        Assert.Equal(2, opt.StepCount);
    }

    [Fact]
    public void AdamWKernel_MatchesReference_BitIdentical_Lengths0To257()
    {
        var rng = new Rng(11);
        for (int n = 0; n <= 257; n++)
        {
            var p = new float[n]; var g = new float[n]; var m = new float[n]; var v = new float[n];
            rng.FillNormal(p, 0, 1); rng.FillNormal(g, 0, 0.1f); rng.FillNormal(m, 0, 0.01f); rng.FillUniform(v, 0, 1e-3f);
            var (p2, m2, v2) = ((float[])p.Clone(), (float[])m.Clone(), (float[])v.Clone());
            var s = AdamWScalars.For(3e-4, 0.9, 0.95, 1e-8, 0.1, decay: n % 2 == 0, step: 1 + n % 7);
            AdamWKernel.Update(p, g, m, v, s);
            AdamWReference.Update(p2, g, m2, v2, s);
            Assert.Equal(p2, p);
            Assert.Equal(m2, m);
            Assert.Equal(v2, v);
        }
    }

    [Fact]
    public void AdamW_ManyParams_MatchesReferenceLoop_BitIdentical()
    {
        // includes a 400×500 matrix (above the parallel threshold, several chunks) and odd sizes
        int[][] shapes = [[400, 500], [3, 5, 7], [13], [1], [1, 1], [257]];
        var rng = new Rng(5);
        var ps = shapes.Select((s, i) => { var t = Tensor.Randn(rng, 1f, s); t.Name = $"p{i}"; t.RequiresGrad = true; return t; }).ToList();
        var refP = ps.Select(p => p.ToArray()).ToArray();
        var refM = ps.Select(p => new float[p.Size]).ToArray();
        var refV = ps.Select(p => new float[p.Size]).ToArray();
        var cfg = new AdamWConfig(LearningRate: 1e-2f);
        var opt = new AdamW(ps, cfg);
        for (int step = 1; step <= 3; step++)
        {
            opt.LearningRate = 1e-2f / step;
            for (int i = 0; i < ps.Count; i++)
            {
                ps[i].Grad = Tensor.Randn(rng, 0.1f, ps[i].ShapeArray());
                var s = AdamWScalars.For(opt.LearningRate, cfg.Beta1, cfg.Beta2, cfg.Eps, cfg.WeightDecay, ps[i].Rank >= 2, step);
                AdamWReference.Update(refP[i], ps[i].Grad!.Span, refM[i], refV[i], s);
            }
            opt.Step();
        }
        for (int i = 0; i < ps.Count; i++) Assert.Equal(refP[i], ps[i].ToArray());
    }

    [Fact]
    public void AdamW_DecayRule_MatricesDecayBiasesDoNot()
    {
        // zero gradient: m = v = 0, so the Adam part is 0/ε = 0 and only the decay p·(1 − lr·wd) acts
        var w = Param("w", [2f, 4f], 2, 1);
        var bias = Param("bias", [2f, 4f], 2);
        var opt = new AdamW([w, bias], new AdamWConfig(LearningRate: 0.5f, WeightDecay: 0.2f));
        Assert.True(opt.IsDecayed(0));
        Assert.False(opt.IsDecayed(1));
        SetGrad(w, 0f, 0f);
        SetGrad(bias, 0f, 0f);
        opt.Step();
        Assert.Equal([2f * 0.9f, 4f * 0.9f], w.ToArray());
        Assert.Equal([2f, 4f], bias.ToArray());

        var custom = new AdamW([w, bias], new AdamWConfig(Decay: p => p.Name == "bias"));
        Assert.False(custom.IsDecayed(0));
        Assert.True(custom.IsDecayed(1));
    }

    [Fact]
    public void AdamW_ParamWithoutGrad_IsSkippedAndKeepsItsOwnStepCount()
    {
        var a = Param("a", [1f], 1);
        var late = Param("late", [1f], 1);
        var opt = new AdamW([a, late], new AdamWConfig(LearningRate: 0.1f, WeightDecay: 0f));
        for (int i = 0; i < 3; i++)
        {
            SetGrad(a, 1f);
            opt.Step();
        }
        Assert.Equal(1f, late[0]); // untouched while Grad was null
        // its first real update is bias-corrected as step 1: exactly lr·sign(g) (up to ε)
        SetGrad(late, -3f);
        opt.Step();
        AssertNear(1.1, late[0]);
        Assert.Equal(4, opt.StepCount);
    }

    [Fact]
    public void Optimizers_RejectUnnamedOrDuplicateParameters_AndBadGradients()
    {
        var unnamed = new Tensor([1f], [1]) { RequiresGrad = true };
        Assert.Contains("no Name", Assert.Throws<ArgumentException>(() => new AdamW([unnamed], new AdamWConfig())).Message);
        var x1 = Param("x", [1f], 1);
        var x2 = Param("x", [2f], 1);
        Assert.Contains("'x' is used twice", Assert.Throws<ArgumentException>(() => new Sgd([x1, x2], 0.1f)).Message);

        var w = Param("w", [1f, 2f], 2);
        var v = Param("v", [1f], 1);
        var opt = new AdamW([v, w], new AdamWConfig());
        SetGrad(v, 1f);
        w.Grad = Tensor.Zeros(3);
        var ex = Assert.Throws<TensorShapeException>(opt.Step);
        Assert.Contains("'w'", ex.Message);
        Assert.Contains("[3]", ex.Message);
        Assert.Contains("[2]", ex.Message);
        Assert.Equal(1f, v[0]); // nothing was updated
        Assert.Equal(0, opt.StepCount);
    }

    // ------------------------------------------------------------------------------------------------ SGD

    [Fact]
    public void Sgd_MomentumAndWeightDecay_MatchHandComputation()
    {
        // lr 0.1, μ 0.9, wd 0.01, p = 1, g = 0.5 both steps
        // step 1: d = 0.5 + 0.01·1 = 0.51; b = d = 0.51;                 p = 1 − 0.051 = 0.949
        // step 2: d = 0.5 + 0.01·0.949 = 0.50949; b = 0.9·0.51 + d = 0.96849; p = 0.949 − 0.096849 = 0.852151
        var p = Param("p", [1f], 1);
        var opt = new Sgd([p], 0.1f, momentum: 0.9f, weightDecay: 0.01f);
        SetGrad(p, 0.5f);
        opt.Step();
        AssertNear(0.949, p[0]);
        opt.Step();
        AssertNear(0.852151, p[0]);

        // plain SGD: p − lr·g
        var q = Param("q", [1f, -1f], 2);
        var plain = new Sgd([q], 0.5f);
        SetGrad(q, 0.25f, -2f);
        plain.Step();
        Assert.Equal([0.875f, 0f], q.ToArray());
        plain.ZeroGrad();
        Assert.Null(q.Grad);
    }

    // ------------------------------------------------------------------------------------------------ clipping

    [Fact]
    public void ClipGlobalNorm_ReportsNormAndScalesWhenAbove()
    {
        var a = Param("a", [0f, 0f], 2);
        var b = Param("b", [0f], 1);
        var none = Param("none", [5f], 1); // no grad: ignored
        SetGrad(a, 3f, 4f);
        SetGrad(b, 12f);
        double norm = GradClip.ClipGlobalNorm([a, b, none], 1f);
        Assert.Equal(13.0, norm, 12); // √(9 + 16 + 144)
        double scale = 1.0 / (13.0 + 1e-6);
        AssertNear(3 * scale, a.Grad![0]);
        AssertNear(4 * scale, a.Grad![1]);
        AssertNear(12 * scale, b.Grad![0]);
        Assert.Null(none.Grad);

        // below the threshold: reported, untouched
        SetGrad(a, 3f, 4f);
        Assert.Equal(5.0, GradClip.ClipGlobalNorm([a], 5.5f), 12);
        Assert.Equal([3f, 4f], a.Grad!.ToArray());

        // non-finite: reported as is, untouched
        SetGrad(a, float.NaN, 1f);
        Assert.True(double.IsNaN(GradClip.ClipGlobalNorm([a], 1f)));
        Assert.Equal(1f, a.Grad![1]);
    }

    [Fact]
    public void SumOfSquares_MatchesReference_Lengths0To257_AndLarge()
    {
        var rng = new Rng(9);
        for (int n = 0; n <= 257; n++)
        {
            var x = new float[n];
            rng.FillNormal(x, 0, 3f);
            double expected = GradClip.SumOfSquaresReference(x);
            GradCheck.AssertClose(expected, GradClip.SumOfSquares(x), 1e-12, 1e-13, $"length {n}");
        }
        // a large gradient takes the chunked/parallel path
        var big = Param("big", new float[300_001], 300_001);
        big.Grad = Tensor.Randn(rng, 1f, 300_001);
        double reference = Math.Sqrt(GradClip.SumOfSquaresReference(big.Grad.Span));
        GradCheck.AssertClose(reference, GradClip.ClipGlobalNorm([big], 1e9f), 0, 1e-12, "global norm");
    }

    // ------------------------------------------------------------------------------------------------ LR schedule

    [Fact]
    public void LrSchedule_WarmupThenCosineToFloor()
    {
        var s = new LrSchedule(MaxLr: 6e-4f, MinLr: 6e-5f, WarmupSteps: 10, DecaySteps: 110);
        AssertNear(6e-4 * 1 / 11, s.At(0), 1e-10);   // warmup start: lr·(0+1)/(W+1)
        AssertNear(6e-4 * 10 / 11, s.At(9), 1e-10);  // warmup end
        AssertNear(6e-4, s.At(10), 1e-10);           // peak
        AssertNear((6e-4 + 6e-5) / 2, s.At(60), 1e-10); // halfway through the cosine: cos(π/2) = 0
        AssertNear(6e-5 + 0.5 * (1 + Math.Cos(Math.PI * 0.25)) * (6e-4 - 6e-5), s.At(35), 1e-10);
        AssertNear(6e-5, s.At(110), 1e-10);
        AssertNear(6e-5, s.At(100_000), 1e-10);
        for (int t = 10; t < 110; t++) Assert.True(s.At(t + 1) <= s.At(t), $"not decreasing at {t}");

        Assert.Equal(0.01f, LrSchedule.Constant(0.01f).At(0));
        Assert.Equal(0.01f, LrSchedule.Constant(0.01f).At(12345));
        Assert.Throws<ArgumentOutOfRangeException>(() => s.At(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new LrSchedule(1f, 0f, 10, 5));
    }

    // ------------------------------------------------------------------------------------------------ exact resume

    /// <summary>
    /// Least squares: loss = ½/N·‖X·W + b − Y‖², dW = Xᵀ·R/N, db = Σ_rows R/N with R = X·W + b − Y.
    /// The forward uses Ops.MatMul; the gradient is written by hand.
    /// </summary>
    private sealed class LeastSquares
    {
        public readonly Tensor X, Y;
        public LeastSquares()
        {
            var rng = new Rng(21);
            X = Tensor.Randn(rng, 1f, 32, 6);
            Y = Tensor.Randn(rng, 1f, 32, 3);
        }

        public static (Tensor W, Tensor B) InitParams()
        {
            var rng = new Rng(99);
            var w = Tensor.Randn(rng, 0.5f, 6, 3);
            var b = Tensor.Randn(rng, 0.5f, 3);
            (w.Name, w.RequiresGrad, b.Name, b.RequiresGrad) = ("w", true, "b", true);
            return (w, b);
        }

        public double Grads(Tensor w, Tensor b)
        {
            using var _ = Tensor.NoGrad();
            var r = Ops.MatMul(X, w); // (N, 3)
            var rs = r.Span;
            int n = X.Dim(0), c = w.Dim(1);
            double loss = 0;
            var db = new float[c];
            for (int i = 0; i < n; i++)
                for (int j = 0; j < c; j++)
                {
                    float e = rs[i * c + j] + b[j] - Y[i, j];
                    rs[i * c + j] = e / n;
                    db[j] += e / n;
                    loss += 0.5 * e * e / n;
                }
            w.Grad = Ops.MatMul(X, r, transA: true); // (6, 3)
            b.Grad = Tensor.FromArray(db, c);
            return loss;
        }
    }

    private static void Train(IOptimizer opt, LeastSquares problem, Tensor w, Tensor b, int from, int to, LrSchedule schedule)
    {
        for (int step = from; step < to; step++)
        {
            opt.LearningRate = schedule.At(step);
            problem.Grads(w, b);
            GradClip.ClipGlobalNorm([w, b], 0.5f);
            opt.Step();
            opt.ZeroGrad();
        }
    }

    public static TheoryData<string> OptimizerKinds => new() { "adamw", "sgd" };

    private static IOptimizer Make(string kind, Tensor w, Tensor b) => kind == "adamw"
        ? new AdamW([w, b], new AdamWConfig(LearningRate: 0.05f))
        : new Sgd([w, b], 0.05f, momentum: 0.9f, weightDecay: 1e-3f);

    [Theory]
    [MemberData(nameof(OptimizerKinds))]
    public void SaveLoadState_ResumesBitExactly(string kind)
    {
        var problem = new LeastSquares();
        var schedule = new LrSchedule(0.05f, 0.005f, WarmupSteps: 3, DecaySteps: 10);

        // run A: 10 uninterrupted steps
        var (wa, ba) = LeastSquares.InitParams();
        double lossBefore = problem.Grads(wa, ba);
        Train(Make(kind, wa, ba), problem, wa, ba, 0, 10, schedule);
        Assert.True(problem.Grads(wa, ba) < lossBefore, "training should reduce the loss");

        // run B: 5 steps, checkpoint parameters + optimizer, rebuild everything from disk, 5 more steps
        var (wb, bb) = LeastSquares.InitParams();
        var optB = Make(kind, wb, bb);
        Train(optB, problem, wb, bb, 0, 5, schedule);
        string paramPath = Path.Combine(_dir, "params.safetensors"), statePath = Path.Combine(_dir, "optim.safetensors");
        Safetensors.Save(paramPath, new Dictionary<string, Tensor> { ["w"] = wb, ["b"] = bb });
        optB.SaveState(statePath);
        var halfway = wb.ToArray();

        var loaded = Safetensors.Load(paramPath);
        var (wc, bc) = (loaded.Get("w"), loaded.Get("b"));
        wc.RequiresGrad = bc.RequiresGrad = true;
        var optC = Make(kind, wc, bc);
        optC.LoadState(statePath);
        Assert.Equal(5, optC.StepCount);
        Assert.Equal(optB.LearningRate, optC.LearningRate);
        Train(optC, problem, wc, bc, 5, 10, schedule);

        Assert.NotEqual(halfway, wc.ToArray());
        Assert.Equal(wa.ToArray(), wc.ToArray()); // bit-identical
        Assert.Equal(ba.ToArray(), bc.ToArray());
    }

    [Fact]
    public void LoadState_Mismatch_NamesEveryProblemAndChangesNothing()
    {
        var w = Param("w", new float[18], 6, 3);
        var b = Param("b", new float[3], 3);
        var opt = new AdamW([w, b], new AdamWConfig());
        SetGrad(w, Enumerable.Repeat(1f, 18).ToArray());
        SetGrad(b, 1f, 1f, 1f);
        opt.Step();
        string path = Path.Combine(_dir, "state.safetensors");
        opt.SaveState(path);

        var other = new AdamW([Param("w", new float[18], 3, 6), Param("c", new float[3], 3)], new AdamWConfig());
        var ex = Assert.Throws<SafetensorsFormatException>(() => other.LoadState(path));
        Assert.Contains(path, ex.Message);
        Assert.Contains("tensor 'w.exp_avg' has shape [6, 3], but parameter 'w' has shape [3, 6]", ex.Message);
        Assert.Contains("missing tensor 'c.exp_avg_sq'", ex.Message);
        Assert.Contains("unexpected tensor 'b.exp_avg'", ex.Message);
        Assert.Equal(0, other.StepCount);

        var differentBeta = new AdamW([Param("w", new float[18], 6, 3), Param("b", new float[3], 3)], new AdamWConfig(Beta2: 0.999f));
        Assert.Contains("hyperparameter 'beta2' is 0.95 in the file but 0.999", Assert.Throws<SafetensorsFormatException>(() => differentBeta.LoadState(path)).Message);

        var sgd = new Sgd([Param("w", new float[18], 6, 3), Param("b", new float[3], 3)], 0.1f, momentum: 0.9f);
        Assert.Contains("holds optimizer 'AdamW', expected 'SGD'", Assert.Throws<SafetensorsFormatException>(() => sgd.LoadState(path)).Message);

        // the file itself records what a resume needs
        var meta = Safetensors.Load(path).Metadata;
        Assert.Equal("1", meta["step"]);
        Assert.Equal("1", meta["w.step"]);
        Assert.Equal("0.95", meta["beta2"]);
    }
}
