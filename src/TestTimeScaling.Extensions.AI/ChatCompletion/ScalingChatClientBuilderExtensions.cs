using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TestTimeScaling.Extensions.AI;

/// <summary>
/// <c>UseXxx</c> extensions that put a <see cref="ScalingChatClient"/> into a <see cref="ChatClientBuilder"/> pipeline.
/// A verifier not given is resolved from the service provider (<see cref="IVerifier"/>), and the logger factory too.
/// </summary>
public static class ScalingChatClientBuilderExtensions
{
    /// <summary>Majority vote over <paramref name="n"/> samples (<see cref="SelfConsistency"/>), budget n samples.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="n">Samples to vote over.</param>
    /// <param name="configure">Adjusts the options (extractor, budget, sampling) before the client is built.</param>
    public static ChatClientBuilder UseSelfConsistency(this ChatClientBuilder builder, int n, Action<ScalingChatClientOptions>? configure = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return builder.UseTestTimeScaling(new SelfConsistency(n), Budget.Samples(n), configure);
    }

    /// <summary>Best of <paramref name="n"/> samples under a verifier (<see cref="BestOfN"/>), budget n samples.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="n">Samples to choose from.</param>
    /// <param name="verifier">Scores the samples; null resolves an <see cref="IVerifier"/> from the service provider.</param>
    /// <param name="configure">Adjusts the options before the client is built.</param>
    public static ChatClientBuilder UseBestOfN(this ChatClientBuilder builder, int n, IVerifier? verifier = null, Action<ScalingChatClientOptions>? configure = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return builder.UseTestTimeScaling(new BestOfN(n), Budget.Samples(n), Then(verifier, configure));
    }

    /// <summary>
    /// Step-level beam search under a process verifier (<see cref="StepBeamSearch"/>), budget beam width x expansions
    /// samples; it needs a native sampler below (a <see cref="SamplerChatClient"/>).
    /// </summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="beamWidth">Beams kept after each step (the paper's N / M).</param>
    /// <param name="expansions">Continuations drawn per beam and step (M).</param>
    /// <param name="maxDepth">Most steps.</param>
    /// <param name="verifier">Scores partial solutions; null resolves an <see cref="IVerifier"/> from the service provider.</param>
    /// <param name="configure">Adjusts the options before the client is built.</param>
    public static ChatClientBuilder UseBeamSearch(this ChatClientBuilder builder, int beamWidth = 4, int expansions = 4, int maxDepth = 40,
        IVerifier? verifier = null, Action<ScalingChatClientOptions>? configure = null) =>
        builder.UseTestTimeScaling(new StepBeamSearch(beamWidth, expansions, maxDepth), Budget.Samples(beamWidth * expansions), Then(verifier, configure));

    /// <summary>Any strategy with <paramref name="budget"/>.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <param name="strategy">The strategy each call runs.</param>
    /// <param name="budget">What each call may spend (per-call overrides: <see cref="ScalingProperties"/>).</param>
    /// <param name="configure">Adjusts the options before the client is built.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static ChatClientBuilder UseTestTimeScaling(this ChatClientBuilder builder, ISearchStrategy strategy, Budget budget, Action<ScalingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(budget);
        budget.Validate();
        return builder.Use((inner, services) =>
        {
            var options = new ScalingChatClientOptions { Budget = budget };
            configure?.Invoke(options);
            options.Verifier ??= services.GetService<IVerifier>();
            return new ScalingChatClient(inner, strategy, options, services.GetService<ILoggerFactory>());
        });
    }

    /// <summary>The strategy, budget and options registered with <c>services.AddTestTimeScaling(...)</c>.</summary>
    /// <param name="builder">The pipeline.</param>
    /// <exception cref="InvalidOperationException">Nothing was registered with <c>AddTestTimeScaling</c>.</exception>
    public static ChatClientBuilder UseTestTimeScaling(this ChatClientBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var registration = services.GetService<TestTimeScalingRegistration>()
                ?? throw new InvalidOperationException("No strategy is registered: call services.AddTestTimeScaling(strategy, budget) first.");
            var options = new ScalingChatClientOptions { Budget = registration.Budget };
            registration.Configure?.Invoke(options);
            options.Verifier ??= services.GetService<IVerifier>();
            return new ScalingChatClient(inner, registration.Strategy, options, services.GetService<ILoggerFactory>());
        });
    }

    private static Action<ScalingChatClientOptions> Then(IVerifier? verifier, Action<ScalingChatClientOptions>? configure) => options =>
    {
        if (verifier is not null) options.Verifier = verifier;
        configure?.Invoke(options);
    };
}
