using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// A process reward model as an <see cref="IVerifier"/>: a token-classification decoder read at the
/// last token of every step. With one label the step score is sigmoid(logit); with two, the
/// softmax probability of label 1 ("correct"), as Qwen-style PRMs do.
/// </summary>
public sealed class ProcessRewardVerifier : IVerifier
{
    private readonly LlamaDecoder _model;
    private readonly ITextTokenizer _tokenizer;
    private readonly ProcessRewardOptions _options;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Wraps a loaded reward model.</summary>
    public ProcessRewardVerifier(LlamaDecoder model, ITextTokenizer tokenizer, ProcessRewardOptions? options = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        if (!model.Config.IsTokenClassifier)
            throw new ArgumentException($"A process reward model needs a token-classification head; '{model.Config.Architecture}' has none.", nameof(model));
        if (model.Config.NumLabels is not (1 or 2))
            throw new ArgumentException($"A process reward model needs 1 or 2 labels, not {model.Config.NumLabels}.", nameof(model));
        _options = options ?? new ProcessRewardOptions();
        if (_options.BatchSize <= 0) throw new ArgumentOutOfRangeException(nameof(options), _options.BatchSize, "BatchSize must be positive.");
        _model.eval();
    }

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.Process;

    /// <summary>The settings in use.</summary>
    public ProcessRewardOptions Options => _options;

    /// <inheritdoc />
    public async Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(solutions);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await Task.Run(() => Score(problem, solutions, cancellationToken), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>Step scores of each solution, on the calling thread.</summary>
    public IReadOnlyList<VerifierScore> Score(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        var encoded = solutions.Select((s, i) =>
        {
            ArgumentNullException.ThrowIfNull(s, $"{nameof(solutions)}[{i}]");
            var steps = _options.CloseLastStep ? StepTokens.SplitClosed(s, _options.StepDelimiter) : StepTokens.Split(s, _options.StepDelimiter);
            var (tokens, ends) = StepTokens.Encode(_tokenizer, problem.Prompt, steps, _options.AddBosToken ?? _tokenizer.AddBosToken);
            if (tokens.Length > _model.Config.MaxPositionEmbeddings)
                throw new ArgumentException($"Solution {i} with its prompt is {tokens.Length} tokens, more than the reward model's context ({_model.Config.MaxPositionEmbeddings}).", nameof(solutions));
            return (tokens, ends);
        }).ToList();

        var scores = new VerifierScore[solutions.Count];
        using var noGrad = no_grad();
        for (int start = 0; start < encoded.Count; start += _options.BatchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = encoded.Skip(start).Take(_options.BatchSize).ToList();
            var stepScores = ScoreBatch(chunk);
            for (int i = 0; i < chunk.Count; i++)
                scores[start + i] = new VerifierScore(stepScores[i].Aggregate(_options.Aggregation), stepScores[i]);
        }
        return scores;
    }

    private List<double[]> ScoreBatch(List<(int[] Tokens, int[] Ends)> batch)
    {
        using var scope = NewDisposeScope();
        int width = Math.Max(1, batch.Max(b => b.Tokens.Length));
        var ids = new long[batch.Count * width];
        for (int r = 0; r < batch.Count; r++)
            for (int t = 0; t < batch[r].Tokens.Length; t++) ids[r * width + t] = batch[r].Tokens[t];
        // Right padding is harmless: causal attention never lets a real token see the pad after it.
        var output = _model.Forward(tensor(ids, [batch.Count, width], dtype: ScalarType.Int64, device: _model.Device));
        var probability = _model.Config.NumLabels == 1 ? output[.., .., 0].sigmoid() : output.softmax(-1)[.., .., 1];
        var values = probability.to(ScalarType.Float32).cpu().data<float>().ToArray();
        return batch.Select((b, r) => b.Ends.Select(e => (double)values[r * width + e]).ToArray()).ToList();
    }
}
