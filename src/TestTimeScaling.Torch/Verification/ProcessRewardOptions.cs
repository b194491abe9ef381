namespace TestTimeScaling.Torch;

/// <summary>Settings of a <see cref="ProcessRewardVerifier"/>.</summary>
public sealed record ProcessRewardOptions
{
    /// <summary>Text that ends each step; the model is read at each step's last token.</summary>
    public string StepDelimiter { get; init; } = "\n";

    /// <summary>How step scores become the outcome score.</summary>
    public StepAggregation Aggregation { get; init; } = StepAggregation.Last;

    /// <summary>
    /// Score a last step that lacks the delimiter as if the delimiter followed it (see <see cref="StepTokens.SplitClosed"/>):
    /// the text has ended, and the model should judge it as ended rather than as a line still being written.
    /// Reward models trained with closed steps (the embedded one is) need this on; turn it off for a model trained
    /// on open last steps.
    /// </summary>
    public bool CloseLastStep { get; init; } = true;

    /// <summary>Prepend the tokenizer's BOS token; null (the default) does what the tokenizer says.</summary>
    public bool? AddBosToken { get; init; }

    /// <summary>Most solutions scored per forward pass.</summary>
    public int BatchSize { get; init; } = 64;

    /// <summary>
    /// Most padded tokens (solutions x longest prompt plus solution) per forward pass; a solution longer than this
    /// goes alone. Cancellation is checked between layers, so this bounds the time one layer can keep a cancelled
    /// call running: the default keeps a layer of the embedded reward model within one decode step of the embedded
    /// policy (measured in docs/exceptions.md). Raise it for throughput when cancellation latency matters less.
    /// </summary>
    public int MaxTokensPerBatch { get; init; } = 256;
}
