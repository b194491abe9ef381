using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection.Extensions;
using TestTimeScaling;
using TestTimeScaling.Extensions.AI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers test-time scaling in a service collection.</summary>
public static class TestTimeScalingServiceCollectionExtensions
{
    /// <summary>
    /// Registers a strategy and budget that any chat pipeline takes up with <c>.UseTestTimeScaling()</c>; an
    /// <see cref="IVerifier"/> registered in the collection becomes its verifier unless <paramref name="configure"/> sets one.
    /// </summary>
    /// <param name="services">The collection.</param>
    /// <param name="strategy">The strategy each call runs.</param>
    /// <param name="budget">What each call may spend.</param>
    /// <param name="configure">Adjusts the options of every client built from this registration.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static IServiceCollection AddTestTimeScaling(this IServiceCollection services, ISearchStrategy strategy, Budget budget,
        Action<ScalingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(budget);
        budget.Validate();
        services.AddSingleton(new TestTimeScalingRegistration(strategy, budget, configure));
        return services;
    }

    /// <summary>
    /// Registers a sampler (the local engine, a remote OpenAI-compatible sampler) and, as the collection's
    /// <see cref="IChatClient"/>, a <see cref="SamplerChatClient"/> over it with the strategy on top. Chain more
    /// middleware on the returned builder.
    /// </summary>
    /// <param name="services">The collection.</param>
    /// <param name="samplerFactory">Creates the sampler (a singleton; the container disposes it if it is disposable).</param>
    /// <param name="strategy">The strategy each call runs.</param>
    /// <param name="budget">What each call may spend.</param>
    /// <param name="configure">Adjusts the options.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    public static ChatClientBuilder AddTestTimeScaling(this IServiceCollection services, Func<IServiceProvider, ISampler> samplerFactory,
        ISearchStrategy strategy, Budget budget, Action<ScalingChatClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(samplerFactory);
        services.AddTestTimeScaling(strategy, budget, configure);
        services.TryAddSingleton(samplerFactory);
        return services.AddChatClient(sp => new SamplerChatClient(sp.GetRequiredService<ISampler>())).UseTestTimeScaling();
    }
}
