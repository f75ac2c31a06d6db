using Rlhf.Models;
using Rlhf.Models.Tokenization;
using Rlhf.Tensors;

namespace Rlhf.Training.Scoring;

/// <summary>
/// A judge that is one of our own language models (any family): the <see cref="JudgePrompt"/> question in the chat template, and the
/// verdict is whether the response " yes" is more likely than " no" — each scored teacher-forced as the sum of its
/// tokens' log-probabilities (so it works whether or not the tokenizer has single " yes"/" no" tokens). No sampling,
/// so it is deterministic. A question longer than the context is cut from the left (the question's end is kept).
/// </summary>
public sealed class InProcessJudge : IJudgeBackend
{
    private readonly ICausalLm _model;
    private readonly ChatTemplate _template;
    private readonly int[] _yes, _no;

    /// <summary>A judge over <paramref name="model"/> with its <paramref name="tokenizer"/>.</summary>
    public InProcessJudge(ICausalLm model, BpeTokenizer tokenizer, string name = "judge:local")
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        (_model, _template, Name) = (model, new ChatTemplate(tokenizer), name);
        _yes = tokenizer.Encode(ChatTemplate.FormatResponse("yes"));
        _no = tokenizer.Encode(ChatTemplate.FormatResponse("no"));
        if (_yes.Length + 1 >= model.MaxPositions) throw new ArgumentException($"the model context ({model.MaxPositions}) is too short to judge");
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public JudgeVerdict Judge(string problem, string solution, string reference, CancellationToken cancel = default)
    {
        var prompt = _template.EncodePrompt(JudgePrompt.Format(problem, solution, reference));
        double yes = LogProb(prompt, _yes), no = LogProb(prompt, _no);
        return new JudgeVerdict(yes > no, 1 / (1 + Math.Exp(no - yes))); // P(yes) renormalised over {yes, no}
    }

    /// <summary>log p(<paramref name="answer"/> | <paramref name="prompt"/>) = Σ_j log p(a_j | prompt, a_&lt;j), the prompt cut from the left to fit.</summary>
    private double LogProb(int[] prompt, int[] answer)
    {
        int keep = Math.Min(prompt.Length, _model.MaxPositions - answer.Length);
        int[] ids = [.. prompt[^keep..], .. answer];
        using var noGrad = Tensor.NoGrad();
        var logits = _model.Logits(_model.Forward(ids, 1, ids.Length));   // (1, T, V)
        var logProbs = Ops.LogSoftmax(logits).ToArray();                  // (1, T, V)
        int V = _model.VocabSize;
        double sum = 0;
        for (int j = 0; j < answer.Length; j++) sum += logProbs[(keep - 1 + j) * V + answer[j]]; // position keep−1+j predicts a_j
        return sum;
    }
}
