
namespace TestTimeScaling;

/// <summary>
/// The fluent entry point: <c>Scale.With(sampler).Verifier(prm).BestOfN(16)</c> gives a
/// <see cref="ScalingPipeline"/> whose <c>SolveAsync(prompt)</c> returns a <see cref="SearchResult"/>.
/// </summary>
public static class Scale
{
    /// <summary>Starts a pipeline over <paramref name="sampler"/>.</summary>
    public static ScalingBuilder With(ISampler sampler) => new(sampler);
}

/// <summary>
/// Collects a sampler, an optional verifier, an extractor, a budget and sampling settings, then picks a strategy.
/// </summary>
/// <remarks>
/// Defaults: the extractor is <see cref="LastLineAnswerExtractor.Default"/> (a final line <c>A: 63</c>), sampling is
/// <see cref="SamplingOptions"/>' defaults, and when no budget is given each strategy gets the budget its own
/// size implies (N samples for Best-of-N, the thinking maximum for budget forcing, and so on).
/// </remarks>
public sealed class ScalingBuilder
{
    private readonly ISampler _sampler;
    private IVerifier? _verifier;
    private IAnswerExtractor _extractor = LastLineAnswerExtractor.Default;
    private Budget? _budget;
    private SamplingOptions _sampling = new();

    internal ScalingBuilder(ISampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        _sampler = sampler;
    }

    /// <summary>Uses <paramref name="verifier"/> to score candidates.</summary>
    public ScalingBuilder Verifier(IVerifier verifier) { _verifier = verifier ?? throw new ArgumentNullException(nameof(verifier)); return this; }

    /// <summary>Uses <paramref name="extractor"/> to find answers.</summary>
    public ScalingBuilder Extractor(IAnswerExtractor extractor) { _extractor = extractor ?? throw new ArgumentNullException(nameof(extractor)); return this; }

    /// <summary>Limits what the strategy may spend.</summary>
    public ScalingBuilder Budget(Budget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        budget.Validate();
        _budget = budget;
        return this;
    }

    /// <summary>Limits the tokens the strategy may generate (keeping any sample limit).</summary>
    public ScalingBuilder MaxTokens(long tokens) => Budget((_budget ?? new TestTimeScaling.Budget()) with { MaxGeneratedTokens = tokens });

    /// <summary>Sets the sampling options.</summary>
    public ScalingBuilder Sampling(SamplingOptions sampling)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        sampling.Validate();
        _sampling = sampling;
        return this;
    }

    /// <summary>Seeds sampling, for reproducible results.</summary>
    public ScalingBuilder Seed(long seed) { _sampling = _sampling with { Seed = seed }; return this; }

    /// <summary>Sets the sampling temperature.</summary>
    public ScalingBuilder Temperature(double temperature) => Sampling(_sampling with { Temperature = temperature });

    /// <summary>Best-of-N (<see cref="BestOfN"/>); needs a verifier.</summary>
    public ScalingPipeline BestOfN(int n, StepAggregation? aggregation = null) => Build(new BestOfN(n, aggregation), samples: n);

    /// <summary>Weighted Best-of-N (<see cref="WeightedBestOfN"/>); needs a verifier.</summary>
    public ScalingPipeline WeightedBestOfN(int n, StepAggregation? aggregation = null) => Build(new WeightedBestOfN(n, aggregation), samples: n);

    /// <summary>Majority vote over N samples (<see cref="SelfConsistency"/>).</summary>
    public ScalingPipeline SelfConsistency(int n) => Build(new SelfConsistency(n), samples: n);

    /// <summary>Self-consistency that stops once the vote is decisive (<see cref="AdaptiveSelfConsistency"/>).</summary>
    public ScalingPipeline AdaptiveSelfConsistency(int maxSamples = 32, int batchSize = 4, double confidence = 0.95) =>
        Build(new AdaptiveSelfConsistency(maxSamples, batchSize, confidence, Math.Min(batchSize, maxSamples)), samples: maxSamples);

    /// <summary>Launch N, keep the first to finish (<see cref="FirstFinishSearch"/>).</summary>
    public ScalingPipeline FirstFinish(int n) => Build(new FirstFinishSearch(n), samples: n);

    /// <summary>Think between a minimum and a maximum number of tokens (<see cref="BudgetForcing"/>).</summary>
    public ScalingPipeline BudgetForcing(int minThinkingTokens, int maxThinkingTokens, string continueCue = "Wait", string answerCue = "A: ")
    {
        var strategy = new BudgetForcing(minThinkingTokens, maxThinkingTokens, continueCue, answerCue);
        return Build(strategy, samples: 1, tokens: maxThinkingTokens + strategy.AnswerMaxTokens);
    }

    /// <summary>Generate, verify, revise (<see cref="IterativeRefinement"/>); needs a verifier.</summary>
    public ScalingPipeline IterativeRefinement(int maxRevisions = 3, double satisfiedScore = 1.0) =>
        Build(new IterativeRefinement(maxRevisions, satisfiedScore), samples: maxRevisions + 1);

    /// <summary>Step-level beam search (<see cref="StepBeamSearch"/>); needs a (process) verifier.</summary>
    public ScalingPipeline BeamSearch(int beamWidth = 4, int expansions = 4, int maxDepth = 40) =>
        Build(new StepBeamSearch(beamWidth, expansions, maxDepth), samples: beamWidth * expansions);

    /// <summary>Diverse verifier tree search (<see cref="DiverseVerifierTreeSearch"/>); needs a (process) verifier.</summary>
    public ScalingPipeline Dvts(int subtrees = 4, int width = 4, int maxDepth = 40) =>
        Build(new DiverseVerifierTreeSearch(width, subtrees, maxDepth), samples: subtrees);

    /// <summary>Particle filtering (<see cref="ParticleFiltering"/>); needs a (process) verifier.</summary>
    public ScalingPipeline ParticleFiltering(int particles = 8, int maxDepth = 40) =>
        Build(new ParticleFiltering(particles, maxDepth), samples: particles);

    /// <summary>Any strategy, with <paramref name="budget"/> (or the builder's budget).</summary>
    public ScalingPipeline Using(ISearchStrategy strategy, Budget? budget = null)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        var b = budget ?? _budget ?? throw new ArgumentException("Give a budget for a custom strategy (Budget(...) or the budget argument).", nameof(budget));
        return new ScalingPipeline(strategy, Context(b));
    }

    private ScalingPipeline Build(ISearchStrategy strategy, int samples, long? tokens = null) =>
        new(strategy, Context(_budget ?? new TestTimeScaling.Budget(samples, tokens)));

    private SearchContext Context(Budget budget) => new()
    {
        Sampler = _sampler,
        Verifier = _verifier,
        AnswerExtractor = _extractor,
        Budget = budget,
        Sampling = _sampling,
    };
}
