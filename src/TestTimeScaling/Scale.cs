
namespace TestTimeScaling;

/// <summary>
/// The fluent entry point: <c>Scale.With(sampler).Extractor(extractor).Verifier(prm).BestOfN(16)</c> gives a
/// <see cref="ScalingPipeline"/> whose <c>SolveAsync(prompt)</c> returns a <see cref="SearchResult"/>.
/// </summary>
public static class Scale
{
    /// <summary>Starts a pipeline over <paramref name="sampler"/>.</summary>
    /// <param name="sampler">Draws the samples every strategy works from: the local engine, a remote server, a chat client.</param>
    /// <returns>A builder; give it an answer extractor, then pick a strategy.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sampler"/> is null.</exception>
    public static ScalingBuilder With(ISampler sampler) => new(sampler);
}

/// <summary>
/// Collects a sampler, an answer extractor, an optional verifier, a budget and sampling settings, then picks a strategy.
/// </summary>
/// <remarks>
/// <para>The answer extractor has no default: what an answer looks like is the task's business (a final <c>A: 63</c>
/// line, a LaTeX <c>\boxed{}</c>, a JSON field), and a wrong guess silently turns votes into noise and ends step-level
/// searches early. Give one with <see cref="Extractor"/>; the library has <see cref="LastLineAnswerExtractor"/> and
/// <see cref="RegexAnswerExtractor"/> (with <see cref="RegexAnswerExtractor.Boxed"/> and
/// <see cref="RegexAnswerExtractor.FinalAnswerLine"/>). Picking a strategy without one throws.</para>
/// <para>Other defaults: sampling is <see cref="SamplingOptions"/>' defaults, and when no budget is given each strategy
/// gets the budget its own size implies (N samples for best-of-N, the thinking maximum for budget forcing, and so on).
/// The per-sample settings are named as in <c>Microsoft.Extensions.AI</c>'s <c>ChatOptions</c>
/// (<see cref="Temperature"/>, <see cref="TopP"/>, <see cref="TopK"/>, <see cref="Seed"/>, <see cref="MaxOutputTokens"/>).</para>
/// </remarks>
public sealed class ScalingBuilder
{
    private readonly ISampler _sampler;
    private IVerifier? _verifier;
    private IAnswerExtractor? _extractor;
    private Budget? _budget;
    private SamplingOptions _sampling = new();

    internal ScalingBuilder(ISampler sampler)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        _sampler = sampler;
    }

    /// <summary>Uses <paramref name="verifier"/> to score candidates.</summary>
    /// <param name="verifier">An outcome or process verifier; best-of-N, refinement and the step-level searches need one.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="verifier"/> is null.</exception>
    public ScalingBuilder Verifier(IVerifier verifier)
    {
        ArgumentNullException.ThrowIfNull(verifier);
        _verifier = verifier;
        return this;
    }

    /// <summary>Uses <paramref name="extractor"/> to find the answer in a solution (required).</summary>
    /// <param name="extractor">
    /// Reads a solution's final answer, or null while it has none; votes group by it, and the step-level searches treat
    /// a partial solution with an answer as finished.
    /// </param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="extractor"/> is null.</exception>
    public ScalingBuilder Extractor(IAnswerExtractor extractor)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        _extractor = extractor;
        return this;
    }

    /// <summary>Limits what the strategy may spend.</summary>
    /// <param name="budget">The most samples and generated tokens of one solve; it replaces the budget the strategy's size implies.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="budget"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit of <paramref name="budget"/> is zero or negative.</exception>
    public ScalingBuilder Budget(Budget budget)
    {
        ArgumentNullException.ThrowIfNull(budget);
        budget.Validate();
        _budget = budget;
        return this;
    }

    /// <summary>Limits the tokens the strategy may generate over a whole solve (keeping any sample limit).</summary>
    /// <param name="tokens">The most tokens generated across every sample and step of one solve (<see cref="Budget.MaxGeneratedTokens"/>).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is zero or negative.</exception>
    public ScalingBuilder MaxGeneratedTokens(long tokens) => Budget((_budget ?? new TestTimeScaling.Budget()) with { MaxGeneratedTokens = tokens });

    /// <summary>Sets every sampling option at once.</summary>
    /// <param name="sampling">The options of every sampler call; later calls to the single-setting methods change this copy.</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="sampling"/> is null.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A setting of <paramref name="sampling"/> is out of range.</exception>
    public ScalingBuilder Sampling(SamplingOptions sampling)
    {
        ArgumentNullException.ThrowIfNull(sampling);
        sampling.Validate();
        _sampling = sampling;
        return this;
    }

    /// <summary>Seeds sampling, for reproducible results.</summary>
    /// <param name="seed">The base seed; the same seed, sampler and strategy give the same result.</param>
    /// <returns>This builder.</returns>
    public ScalingBuilder Seed(long seed) => Sampling(_sampling with { Seed = seed });

    /// <summary>Sets the sampling temperature.</summary>
    /// <param name="temperature">The softmax temperature, 0 for greedy decoding (<see cref="SamplingOptions.Temperature"/>).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="temperature"/> is negative or NaN.</exception>
    public ScalingBuilder Temperature(double temperature) => Sampling(_sampling with { Temperature = temperature });

    /// <summary>Sets nucleus sampling.</summary>
    /// <param name="topP">Keep the smallest set of tokens whose probability reaches this, in (0, 1] (<see cref="SamplingOptions.TopP"/>).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="topP"/> is outside (0, 1].</exception>
    public ScalingBuilder TopP(double topP) => Sampling(_sampling with { TopP = topP });

    /// <summary>Keeps only the most likely tokens at each step.</summary>
    /// <param name="topK">How many tokens to keep; 0 disables the limit (<see cref="SamplingOptions.TopK"/>).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="topK"/> is negative.</exception>
    public ScalingBuilder TopK(int topK) => Sampling(_sampling with { TopK = topK });

    /// <summary>Limits the tokens of each sample (for the step-level searches, of each step).</summary>
    /// <param name="tokens">The most tokens one sampler call generates per row (<see cref="SamplingOptions.MaxNewTokens"/>).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="tokens"/> is zero or negative.</exception>
    public ScalingBuilder MaxOutputTokens(int tokens) => Sampling(_sampling with { MaxNewTokens = tokens });

    /// <summary>Best-of-N (<see cref="TestTimeScaling.BestOfN"/>): N samples, the verifier's best wins; needs a verifier.</summary>
    /// <param name="n">How many samples to draw and score; positive.</param>
    /// <param name="aggregation">How a process verifier's step scores become one score; null keeps the verifier's own.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline BestOfN(int n, StepAggregation? aggregation = null) => Build(new BestOfN(n, aggregation), samples: n);

    /// <summary>Weighted best-of-N (<see cref="TestTimeScaling.WeightedBestOfN"/>): the answer whose samples' scores sum highest; needs a verifier.</summary>
    /// <param name="n">How many samples to draw and score; positive.</param>
    /// <param name="aggregation">How a process verifier's step scores become one score; null keeps the verifier's own.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline WeightedBestOfN(int n, StepAggregation? aggregation = null) => Build(new WeightedBestOfN(n, aggregation), samples: n);

    /// <summary>Majority vote over N samples (<see cref="TestTimeScaling.SelfConsistency"/>).</summary>
    /// <param name="n">How many samples vote; positive.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline SelfConsistency(int n) => Build(new SelfConsistency(n), samples: n);

    /// <summary>Self-consistency that stops once the vote is decisive (<see cref="TestTimeScaling.AdaptiveSelfConsistency"/>).</summary>
    /// <param name="maxSamples">The most samples drawn in all.</param>
    /// <param name="batchSize">Samples drawn per round before the vote is checked.</param>
    /// <param name="confidence">The probability that the leader is the true majority at which sampling stops, in (0.5, 1).</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline AdaptiveSelfConsistency(int maxSamples = 32, int batchSize = 4, double confidence = 0.95) =>
        Build(new AdaptiveSelfConsistency(maxSamples, batchSize, confidence, Math.Min(batchSize, maxSamples)), samples: maxSamples);

    /// <summary>Launch N, keep the first to finish (<see cref="FirstFinishSearch"/>).</summary>
    /// <param name="n">How many samples race; positive.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline FirstFinish(int n) => Build(new FirstFinishSearch(n), samples: n);

    /// <summary>Think between a minimum and a maximum number of tokens (<see cref="TestTimeScaling.BudgetForcing"/>).</summary>
    /// <param name="minThinkingTokens">Thinking that ends earlier is extended with <paramref name="continueCue"/>.</param>
    /// <param name="maxThinkingTokens">Thinking is cut here and the answer forced with <paramref name="answerCue"/>.</param>
    /// <param name="answerCue">
    /// Text appended to make the model answer, such as <c>"Final answer: "</c>; it must start what your extractor reads
    /// (for the embedded models, <c>"A: "</c>), so it has no default.
    /// </param>
    /// <param name="continueCue">Text appended to keep the model thinking (s1's "Wait").</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="ArgumentException"><paramref name="answerCue"/> or <paramref name="continueCue"/> is empty.</exception>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline BudgetForcing(int minThinkingTokens, int maxThinkingTokens, string answerCue, string continueCue = "Wait")
    {
        var strategy = new BudgetForcing(minThinkingTokens, maxThinkingTokens, continueCue, answerCue);
        return Build(strategy, samples: 1, tokens: maxThinkingTokens + strategy.AnswerMaxTokens);
    }

    /// <summary>Generate, verify, revise (<see cref="TestTimeScaling.IterativeRefinement"/>); needs a verifier.</summary>
    /// <param name="maxRevisions">The most revisions after the first draft.</param>
    /// <param name="satisfiedScore">A draft scoring at least this is kept without revising.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline IterativeRefinement(int maxRevisions = 3, double satisfiedScore = 1.0) =>
        Build(new IterativeRefinement(maxRevisions, satisfiedScore), samples: maxRevisions + 1);

    /// <summary>Step-level beam search (<see cref="StepBeamSearch"/>); needs a (process) verifier.</summary>
    /// <param name="beamWidth">Partial solutions (beams) kept after each step; positive.</param>
    /// <param name="expansions">Next steps sampled from each beam per step (Snell et al.'s M); positive.</param>
    /// <param name="maxDepth">The most steps of a solution.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline BeamSearch(int beamWidth = 4, int expansions = 4, int maxDepth = 40) =>
        Build(new StepBeamSearch(beamWidth, expansions, maxDepth), samples: beamWidth * expansions);

    /// <summary>Diverse verifier tree search (<see cref="DiverseVerifierTreeSearch"/>); needs a (process) verifier.</summary>
    /// <param name="subtrees">Independent subtrees, each searched greedily under the verifier; positive.</param>
    /// <param name="width">Children sampled per live node per step; positive.</param>
    /// <param name="maxDepth">The most steps of a solution.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline Dvts(int subtrees = 4, int width = 4, int maxDepth = 40) =>
        Build(new DiverseVerifierTreeSearch(width, subtrees, maxDepth), samples: subtrees);

    /// <summary>Particle filtering (<see cref="TestTimeScaling.ParticleFiltering"/>); needs a (process) verifier.</summary>
    /// <param name="particles">Partial solutions carried and resampled by their reward at each step; positive.</param>
    /// <param name="maxDepth">The most steps of a solution.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline ParticleFiltering(int particles = 8, int maxDepth = 40) =>
        Build(new ParticleFiltering(particles, maxDepth), samples: particles);

    /// <summary>DeepConf (<see cref="TestTimeScaling.DeepConf"/>): vote over the most confident of N traces, or stop low-confidence traces early.</summary>
    /// <param name="n">Traces to draw (the paper's N); positive.</param>
    /// <param name="mode">Offline (filter, then vote) or online (calibrate on warm-up traces, stop the rest early).</param>
    /// <param name="keepPercent">The paper's η: the percentage of most confident traces kept (offline) or the threshold's percentile (online).</param>
    /// <param name="warmup">Warm-up traces that calibrate the online threshold (the paper's N_init).</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline DeepConf(int n = 16, DeepConfMode mode = DeepConfMode.Offline, double keepPercent = 90, int warmup = 4) =>
        Build(new DeepConf(n, mode, keepPercent, warmup: warmup), samples: n);

    /// <summary>QAlign (<see cref="TestTimeScaling.QAlign"/>): MCMC over whole solutions under the verifier's reward; needs a verifier.</summary>
    /// <param name="iterations">Proposals per chain (the paper's T); positive.</param>
    /// <param name="beta">Temperature of the reward in the target p(y|x)·exp(r(y)/β).</param>
    /// <param name="burnIn">Chain states left out of the final vote.</param>
    /// <param name="chains">Independent chains run together; positive.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline QAlign(int iterations = 15, double beta = 0.1, int burnIn = 0, int chains = 1) =>
        Build(new QAlign(iterations, beta, burnIn, chains), samples: chains * (iterations + 1));

    /// <summary>Monte Carlo tree search over steps (<see cref="MonteCarloTreeSearch"/>) under a process verifier.</summary>
    /// <param name="simulations">Select-expand-evaluate-backup rounds; positive.</param>
    /// <param name="expansions">Next steps sampled when a node is expanded (k); positive.</param>
    /// <param name="exploration">UCT's exploration constant c.</param>
    /// <param name="rollout">Whether each new node is rolled out to the end before it is scored.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
    public ScalingPipeline Mcts(int simulations = 32, int expansions = 4, double exploration = 1.0, bool rollout = false) =>
        Build(new MonteCarloTreeSearch(simulations, expansions, exploration, rollout: rollout), samples: simulations * expansions);

    /// <summary>Any strategy, with <paramref name="budget"/> (or the builder's budget).</summary>
    /// <param name="strategy">The strategy to run, for example a composition the named methods do not build.</param>
    /// <param name="budget">What one solve may spend; null uses the one given to <see cref="Budget(TestTimeScaling.Budget)"/>.</param>
    /// <returns>The pipeline, ready to solve.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="strategy"/> is null.</exception>
    /// <exception cref="ArgumentException">No budget was given here or to the builder.</exception>
    /// <exception cref="InvalidOperationException">No answer extractor was given.</exception>
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
        AnswerExtractor = _extractor ?? throw new InvalidOperationException(
            "No answer extractor: call Extractor(...) with one that reads your task's answers, for example " +
            "new LastLineAnswerExtractor(\"Answer:\") or RegexAnswerExtractor.Boxed (the embedded models: EmbeddedModels.AnswerExtractor)."),
        Budget = budget,
        Sampling = _sampling,
    };
}
