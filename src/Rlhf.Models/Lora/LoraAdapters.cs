using System.Runtime.CompilerServices;
using Rlhf.Models.Layers;
using Rlhf.Tensors;

namespace Rlhf.Models.Lora;

/// <summary>
/// The LoRA adapters of one model (PEFT's <c>LoraModel</c>): <see cref="Attach"/> puts an adapter on every targeted
/// projection of a <see cref="Gpt"/> or <see cref="Llama"/> and freezes every base parameter (no gradient buffers,
/// no optimizer state for them); the trainable tensors are <see cref="Parameters"/>. <see cref="Disable"/> runs
/// forwards with the adapters off (the base model: PPO's reference without a second copy of the weights);
/// <see cref="MergeAndDetach"/> folds them into the weights. A model's adapters are found again with <see cref="Find"/>.
/// </summary>
public sealed class LoraAdapters
{
    private static readonly ConditionalWeakTable<ICausalLm, LoraAdapters> Attached = [];
    private readonly ICausalLm _model;
    private readonly LoraAdapter[] _adapters;

    private LoraAdapters(ICausalLm model, LoraConfig config, IReadOnlyList<(string Path, ILoraTarget Layer)> targets, ulong seed, string? baseModelPath)
    {
        _model = model;
        Config = config;
        BaseModelPath = baseModelPath;
        DropoutRng = new Rng(seed ^ 0x4C6F5241UL);
        var init = new Rng(seed);
        _adapters = [.. targets.Select(t => new LoraAdapter(this, t.Path, t.Layer, config.Rank, config.Scaling, config.Dropout, init))];
    }

    /// <summary>The settings, with <see cref="LoraConfig.Targets"/> as given (null: the family's default).</summary>
    public LoraConfig Config { get; }

    /// <summary>The model's HF <c>model_type</c>.</summary>
    public string ModelType => _model.ModelType;

    /// <summary>The base model directory the adapters were trained on (PEFT's <c>base_model_name_or_path</c>), or null when unknown.</summary>
    public string? BaseModelPath { get; set; }

    /// <summary>The adapters in module order.</summary>
    public IReadOnlyList<LoraAdapter> Adapters => _adapters;

    /// <summary>The trainable tensors: A and B of every adapter, in module order.</summary>
    public IReadOnlyList<Tensor> Parameters() => [.. _adapters.SelectMany(a => new[] { a.A, a.B })];

    /// <summary>Trainable scalars.</summary>
    public long ParameterCount => _adapters.Sum(a => (long)a.A.Size + a.B.Size);

    /// <summary>False inside a <see cref="Disable"/> scope: forwards compute the base model.</summary>
    public bool Enabled { get; private set; } = true;

    /// <summary>Draws the dropout masks of training forwards (its state is saved with the adapters for exact resume).</summary>
    public Rng DropoutRng { get; }

    /// <summary>The adapters attached to <paramref name="model"/>, or null when it has none.</summary>
    public static LoraAdapters? Find(ICausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Attached.TryGetValue(model, out var adapters) ? adapters : null;
    }

    /// <summary>
    /// Attaches fresh adapters (A uniform from <paramref name="seed"/>, B zero) to the projections of
    /// <paramref name="model"/> that <paramref name="config"/> targets, and freezes all of the model's own
    /// parameters. Throws <see cref="ArgumentException"/> for invalid settings, a target that matches no module
    /// (naming the modules there are), or a model that already has adapters.
    /// </summary>
    public static LoraAdapters Attach(ICausalLm model, LoraConfig config, ulong seed, string? baseModelPath = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(config);
        if (config.Problems() is { Count: > 0 } problems) throw new ArgumentException(string.Join("; ", problems.Select(p => p.Message)));
        if (Find(model) is not null) throw new ArgumentException("the model already has LoRA adapters; merge them first (rlhf model merge)");
        var all = Projections(model);
        var names = config.Targets ?? LoraConfig.DefaultTargets(model.ModelType);
        static bool Matches(string path, string name) => path == name || path.EndsWith("." + name, StringComparison.Ordinal);
        var unmatched = names.Where(n => !all.Any(t => Matches(t.Path, n))).ToList();
        if (unmatched.Count > 0)
            throw new ArgumentException($"LoRA target {string.Join(", ", unmatched.Select(n => $"'{n}'"))} matches no projection of this {model.ModelType} model; "
                + $"the projections are {string.Join(", ", all.Select(t => t.Path.Split('.')[^1]).Distinct())}");
        var targets = all.Where(t => names.Any(n => Matches(t.Path, n))).ToList();
        var adapters = new LoraAdapters(model, config, targets, seed, baseModelPath);
        foreach (var p in model.Parameters()) p.RequiresGrad = false;
        foreach (var a in adapters._adapters) a.Target.Adapter = a;
        Attached.Add(model, adapters);
        return adapters;
    }

    /// <summary>
    /// Every linear projection of the model's blocks with its HF module path: GPT-2 <c>transformer.h.{i}.attn.c_attn</c>,
    /// <c>.attn.c_proj</c>, <c>.mlp.c_fc</c>, <c>.mlp.c_proj</c>; Llama family <c>model.layers.{i}.self_attn.{q,k,v,o}_proj</c>,
    /// <c>.mlp.{gate,up,down}_proj</c>.
    /// </summary>
    public static IReadOnlyList<(string Path, ILoraTarget Layer)> Projections(ICausalLm model)
    {
        ArgumentNullException.ThrowIfNull(model);
        IEnumerable<ILoraTarget> layers = model switch
        {
            Gpt gpt => gpt.Blocks.SelectMany(b => new ILoraTarget[] { b.Attn, b.AttnProj, b.Fc, b.MlpProj }),
            Llama llama => llama.Blocks.SelectMany(b => new ILoraTarget[] { b.QProj, b.KProj, b.VProj, b.OProj, b.GateProj, b.UpProj, b.DownProj }),
            _ => throw new ArgumentException($"LoRA: model type {model.ModelType} is not supported"),
        };
        string prefix = model is Gpt ? "transformer." : "";
        return [.. layers.Select(l => (prefix + l.Weight.Name![..^".weight".Length], l))];
    }

    /// <summary>The base model on the same weights with the adapters off, as a model of its own (a reference policy without a copy).</summary>
    public ICausalLm BaseModel() => new LoraBaseView(_model, this);

    /// <summary>Runs forwards with every adapter off (the base model) until the returned scope is disposed.</summary>
    public IDisposable Disable()
    {
        bool previous = Enabled;
        Enabled = false;
        return new Scope(() => Enabled = previous);
    }

    /// <summary>
    /// Folds every adapter into its base weight (W += s·B·A in W's layout), removes the adapters and makes the base
    /// parameters trainable again: the model is then a plain model giving the same outputs.
    /// </summary>
    public void MergeAndDetach()
    {
        foreach (var a in _adapters)
        {
            var w = a.Target.Weight;
            System.Numerics.Tensors.TensorPrimitives.Add(w.Span, a.DeltaWeight().Span, w.Span);
        }
        Detach();
    }

    /// <summary>Removes the adapters without merging them and makes the base parameters trainable again (the base model as loaded).</summary>
    public void Detach()
    {
        foreach (var a in _adapters) a.Target.Adapter = null;
        foreach (var p in _model.Parameters()) p.RequiresGrad = true;
        Attached.Remove(_model);
    }

    private sealed class Scope(Action restore) : IDisposable
    {
        private Action? _restore = restore;

        public void Dispose()
        {
            _restore?.Invoke();
            _restore = null;
        }
    }
}
