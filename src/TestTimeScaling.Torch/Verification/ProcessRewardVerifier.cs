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
        if (_options.MaxTokensPerBatch <= 0) throw new ArgumentOutOfRangeException(nameof(options), _options.MaxTokensPerBatch, "MaxTokensPerBatch must be positive.");
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
    /// <exception cref="OperationCanceledException">The token was cancelled; it is checked before every forward pass
    /// and between the layers of each.</exception>
    /// <exception cref="ArgumentException">A solution is null, or too long for the reward model's context (the message names its index).</exception>
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
        foreach (var (start, count) in Batches(encoded))
        {
            // Cancellation is checked between forward passes and, inside one, between layers.
            cancellationToken.ThrowIfCancellationRequested();
            var chunk = encoded.GetRange(start, count);
            var stepScores = ScoreBatch(chunk, cancellationToken);
            for (int i = 0; i < chunk.Count; i++)
                scores[start + i] = new VerifierScore(stepScores[i].Aggregate(_options.Aggregation), stepScores[i]);
            long pass = Interlocked.Increment(ref _batches);
            BatchScored?.Invoke(pass);
        }
        return scores;
    }

    /// <summary>Runs after every forward pass with the running count of passes (tests cancel and count with it).</summary>
    internal Action<long>? BatchScored { get; set; }

    /// <summary>Forward passes run so far.</summary>
    internal long ForwardPasses => Interlocked.Read(ref _batches);

    private long _batches;

    // Consecutive solutions per forward pass: at most BatchSize of them and at most MaxTokensPerBatch padded tokens
    // (a single longer solution still goes alone).
    private IEnumerable<(int Start, int Count)> Batches(List<(int[] Tokens, int[] Ends)> encoded)
    {
        int start = 0;
        while (start < encoded.Count)
        {
            int count = 1, width = encoded[start].Tokens.Length;
            while (start + count < encoded.Count && count < _options.BatchSize)
            {
                int wider = Math.Max(width, encoded[start + count].Tokens.Length);
                if ((long)wider * (count + 1) > _options.MaxTokensPerBatch) break;
                width = wider;
                count++;
            }
            yield return (start, count);
            start += count;
        }
    }

    private List<double[]> ScoreBatch(List<(int[] Tokens, int[] Ends)> batch, CancellationToken cancellationToken)
    {
        using var scope = NewDisposeScope();
        int width = Math.Max(1, batch.Max(b => b.Tokens.Length));
        var ids = new long[batch.Count * width];
        for (int r = 0; r < batch.Count; r++)
            for (int t = 0; t < batch[r].Tokens.Length; t++) ids[r * width + t] = batch[r].Tokens[t];
        // Right padding is harmless: causal attention never lets a real token see the pad after it.
        // The token is checked between layers too: one pass of a large batch is then no longer uncancellable.
        var output = _model.Forward(tensor(ids, [batch.Count, width], dtype: ScalarType.Int64, device: _model.Device), cancellationToken);
        var probability = _model.Config.NumLabels == 1 ? output[.., .., 0].sigmoid() : output.softmax(-1)[.., .., 1];
        var values = probability.to(ScalarType.Float32).cpu().data<float>().ToArray();
        return batch.Select((b, r) => b.Ends.Select(e => (double)values[r * width + e]).ToArray()).ToList();
    }
}
