namespace TestTimeScaling.Training;

/// <summary>Settings for training the policy: the model's shape and the optimizer's schedule.</summary>
/// <remarks>The defaults are the shipped model's: about 0.8 M parameters, trained in under 20 minutes on 2 CPU cores.</remarks>
public sealed record PolicyTrainingOptions
{
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 3000;
    /// <summary>Problems per step.</summary>
    public int BatchSize { get; init; } = 48;
    /// <summary>Peak learning rate (AdamW).</summary>
    public double LearningRate { get; init; } = 3e-3;
    /// <summary>Linear warm-up steps.</summary>
    public int WarmupSteps { get; init; } = 150;
    /// <summary>
    /// Label smoothing of the next-token loss. It keeps a little probability on every token, so sampled
    /// solutions make occasional independent slips (as large models' samples do) rather than the same
    /// confident mistake each time: the regime where voting and verifiers can help.
    /// </summary>
    public double LabelSmoothing { get; init; } = 0.05;

    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>Seed for the initial weights and the training problems.</summary>
    public long Seed { get; init; } = 1;
    /// <summary>Easiest difficulty level drawn.</summary>
    public int MinLevel { get; init; } = 1;
    /// <summary>Hardest difficulty level drawn.</summary>
    public int MaxLevel { get; init; } = 5;
    /// <summary>Model width.</summary>
    public int HiddenSize { get; init; } = 128;
    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; } = 4;
    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Key/value heads (grouped-query attention).</summary>
    public int KeyValueHeads { get; init; } = 2;
    /// <summary>SwiGLU width.</summary>
    public int IntermediateSize { get; init; } = 384;
    /// <summary>Context length of the model.</summary>
    public int ContextLength { get; init; } = 256;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        static void Positive(double value, string name)
        {
            if (!(value > 0)) throw new ArgumentOutOfRangeException(name, value, $"{name} must be positive.");
        }
        Positive(Steps, nameof(Steps));
        Positive(BatchSize, nameof(BatchSize));
        Positive(LearningRate, nameof(LearningRate));
        Positive(HiddenSize, nameof(HiddenSize));
        Positive(Layers, nameof(Layers));
        Positive(Heads, nameof(Heads));
        Positive(KeyValueHeads, nameof(KeyValueHeads));
        Positive(IntermediateSize, nameof(IntermediateSize));
        Positive(ContextLength, nameof(ContextLength));
        if (LabelSmoothing is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(LabelSmoothing), LabelSmoothing, "LabelSmoothing must be in [0, 1).");
        if (WarmupSteps < 0) throw new ArgumentOutOfRangeException(nameof(WarmupSteps), WarmupSteps, "WarmupSteps must be >= 0.");
        if (MinLevel < 1 || MaxLevel > 5 || MinLevel > MaxLevel)
            throw new ArgumentOutOfRangeException(nameof(MinLevel), $"Levels must satisfy 1 <= MinLevel ({MinLevel}) <= MaxLevel ({MaxLevel}) <= 5.");
    }
}
