using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Training.Rewards;

/// <summary>
/// A judge that is one of our own GPT models: the <see cref="JudgePrompt"/> question in the chat template, one forward
/// pass, and the verdict is whether log p(" yes") &gt; log p(" no") for the first response token. No sampling, so
/// it is deterministic. A question longer than the context is cut from the left (the question's end is kept).
/// </summary>
public sealed class InProcessJudge : IJudgeBackend
{
    private readonly Gpt _model;
    private readonly ChatTemplate _template;
    private readonly int _yes, _no;

    /// <summary>A judge over <paramref name="model"/> with its <paramref name="tokenizer"/>.</summary>
    public InProcessJudge(Gpt model, BpeTokenizer tokenizer, string name = "judge:local")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        (_model, _template, Name) = (model, new ChatTemplate(tokenizer), name);
        _yes = tokenizer.Encode(ChatTemplate.FormatResponse("yes"))[0];
        _no = tokenizer.Encode(ChatTemplate.FormatResponse("no"))[0];
        if (_yes == _no) throw new ArgumentException("the tokenizer starts \" yes\" and \" no\" with the same token; the judge cannot tell them apart");
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public JudgeVerdict Judge(string problem, string solution, string reference, CancellationToken cancel = default)
    {
        var ids = _template.EncodePrompt(JudgePrompt.Format(problem, solution, reference));
        int context = _model.Config.NPositions;
        if (ids.Length > context) ids = ids[^context..];
        using var noGrad = Tensor.NoGrad();
        var hidden = _model.Forward(ids, 1, ids.Length);                         // (1, T, C)
        var last = Ops.Slice(hidden, 1, ids.Length - 1, 1);                      // (1, 1, C)
        var logits = _model.Logits(last).ToArray();                             // (1, 1, V)
        double yes = logits[_yes], no = logits[_no];
        double pYes = 1 / (1 + Math.Exp(no - yes));                              // softmax over {yes, no}
        return new JudgeVerdict(yes > no, pYes);
    }
}
