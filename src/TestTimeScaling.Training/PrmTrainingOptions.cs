namespace TestTimeScaling.Training;

/// <summary>Settings for building the reward model's data and training it.</summary>
public sealed record PrmTrainingOptions
{
    /// <summary>Optimizer steps.</summary>
    public int Steps { get; init; } = 2500;
    /// <summary>Solutions per step.</summary>
    public int BatchSize { get; init; } = 48;
    /// <summary>Peak learning rate (AdamW).</summary>
    public double LearningRate { get; init; } = 1e-3;
    /// <summary>Linear warm-up steps.</summary>
    public int WarmupSteps { get; init; } = 50;
    /// <summary>AdamW weight decay.</summary>
    public double WeightDecay { get; init; } = 0.05;
    /// <summary>Seed for the initial weights, the problems and the sampling.</summary>
    public long Seed { get; init; } = 2;
    /// <summary>Training problems whose policy samples become examples.</summary>
    public int PolicyProblems { get; init; } = 1200;
    /// <summary>Policy samples per training problem.</summary>
    public int SamplesPerProblem { get; init; } = 4;
    /// <summary>
    /// Sampling temperatures for the policy's examples, taken in turn per training problem (problem i is sampled at
    /// entry i mod count). Spanning the evaluation temperature and above it gives the policy's own near-miss slips at
    /// the rate it makes them when evaluated, and more of them.
    /// </summary>
    public IReadOnlyList<double> SamplingTemperatures { get; init; } = [1.0];
    /// <summary>
    /// Share of the built-data part of each batch drawn from the policy's own wrong solutions (hard negatives: the
    /// plausible slips best-of-N must not pick), the rest drawn from all built solutions alike. 0 draws all alike.
    /// </summary>
    public double PolicyErrorShare { get; init; } = 0;
    /// <summary>
    /// Transformer blocks added on top of the policy's when the reward model starts from it. The policy's
    /// last layer forms its prediction of the next token; judging a written token means comparing it with
    /// the prediction made one position earlier, which needs layers after that prediction exists.
    /// </summary>
    public int ExtraLayers { get; init; } = 2;
    /// <summary>
    /// Whether the blocks copied from the policy stay fixed, so only the added blocks and the score head train.
    /// Steps are cheaper (no backward pass through the trunk: 0.20 s against 0.35 s per step here), but the model judges worse:
    /// with the embedded policy, step AUROC on Dev samples fell from 0.863 to 0.806, so it is off by default.
    /// </summary>
    public bool FreezeTrunk { get; init; } = false;
    /// <summary>
    /// Weight of a language-modelling loss trained alongside the score: predicting each correct solution token
    /// through the embedding matrix. Judging a step needs the arithmetic to redo it; the binary labels alone teach
    /// the trunk little of it and wear down what it had, while next-token prediction on right steps keeps teaching
    /// it. Training only: the saved model has just the score head. 0 turns it off.
    /// </summary>
    public double LanguageModelingWeight { get; init; } = 1;
    /// <summary>
    /// Share of each batch made of freshly generated problems (a gold solution, or the same with one injected error),
    /// the rest drawn from the built data set. A few thousand sampled solutions over a thousand problems are
    /// memorized in a few epochs (checked: step AUROC 0.98 on its training solutions, 0.86 on new problems); fresh
    /// problems leave nothing to memorize but the arithmetic itself.
    /// </summary>
    public double SyntheticShare { get; init; } = 0.5;

    /// <summary>
    /// Training problems the policy is sampled on (8 samples each at temperature 0.8) after training, to fit a Platt
    /// scaling of the score head (<see cref="PrmCalibration"/>); 0 leaves the head as trained.
    /// </summary>
    public int CalibrationProblems { get; init; } = 0;

    /// <summary>Freshly generated solutions in each batch: <see cref="SyntheticShare"/> of <see cref="BatchSize"/>, rounded.</summary>
    public int FreshPerBatch => (int)Math.Round(BatchSize * SyntheticShare);

    /// <summary>Model width.</summary>
    public int HiddenSize { get; init; } = 96;
    /// <summary>Transformer blocks.</summary>
    public int Layers { get; init; } = 3;
    /// <summary>Attention heads.</summary>
    public int Heads { get; init; } = 4;
    /// <summary>Key/value heads.</summary>
    public int KeyValueHeads { get; init; } = 2;
    /// <summary>SwiGLU width.</summary>
    public int IntermediateSize { get; init; } = 288;
    /// <summary>Context length.</summary>
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
        Positive(PolicyProblems, nameof(PolicyProblems));
        Positive(SamplesPerProblem, nameof(SamplesPerProblem));
        Positive(HiddenSize, nameof(HiddenSize));
        Positive(Layers, nameof(Layers));
        Positive(Heads, nameof(Heads));
        Positive(KeyValueHeads, nameof(KeyValueHeads));
        Positive(IntermediateSize, nameof(IntermediateSize));
        Positive(ContextLength, nameof(ContextLength));
        if (!(LanguageModelingWeight >= 0)) throw new ArgumentOutOfRangeException(nameof(LanguageModelingWeight), LanguageModelingWeight, "LanguageModelingWeight must be >= 0.");
        if (!(SyntheticShare >= 0 && SyntheticShare < 1)) throw new ArgumentOutOfRangeException(nameof(SyntheticShare), SyntheticShare, "SyntheticShare must be in [0, 1).");
        if (CalibrationProblems < 0) throw new ArgumentOutOfRangeException(nameof(CalibrationProblems), CalibrationProblems, "CalibrationProblems must be >= 0.");
        if (ExtraLayers < 0) throw new ArgumentOutOfRangeException(nameof(ExtraLayers), ExtraLayers, "ExtraLayers must be >= 0.");
        if (SamplingTemperatures is null || SamplingTemperatures.Count == 0)
            throw new ArgumentOutOfRangeException(nameof(SamplingTemperatures), "SamplingTemperatures must hold at least one temperature.");
        foreach (var t in SamplingTemperatures)
            if (!(t >= 0)) throw new ArgumentOutOfRangeException(nameof(SamplingTemperatures), t, "SamplingTemperatures must all be >= 0.");
        if (!(PolicyErrorShare >= 0 && PolicyErrorShare <= 1)) throw new ArgumentOutOfRangeException(nameof(PolicyErrorShare), PolicyErrorShare, "PolicyErrorShare must be in [0, 1].");
    }
}
