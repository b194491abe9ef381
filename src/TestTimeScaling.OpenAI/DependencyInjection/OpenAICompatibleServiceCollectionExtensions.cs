using System.Net;
using Microsoft.Extensions.Configuration;
using TestTimeScaling;
using TestTimeScaling.OpenAI;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="OpenAICompatibleSampler"/> with an <see cref="System.Net.Http.IHttpClientFactory"/> client.</summary>
public static class OpenAICompatibleServiceCollectionExtensions
{
    /// <summary>The default name of the HTTP client the sampler uses.</summary>
    public const string DefaultClientName = "TestTimeScaling.OpenAI";

    /// <summary>
    /// Registers an <see cref="OpenAICompatibleSampler"/> (as itself and as <see cref="ISampler"/>, a singleton so its
    /// in-flight limit holds over the whole app) over a named HTTP client, and returns that client's builder so the app
    /// chains <c>AddStandardResilienceHandler(...)</c> for retries on 429/5xx/timeouts.
    /// </summary>
    /// <remarks>
    /// The standard handler's defaults (10 s per attempt, 30 s in all) are too short for long generations: raise
    /// <c>AttemptTimeout</c> and <c>TotalRequestTimeout</c>, and keep <c>CircuitBreaker.SamplingDuration</c> at least twice
    /// the attempt timeout (its validator insists). The client's own <see cref="HttpClient.Timeout"/> is set to 10 minutes,
    /// so the resilience pipeline, not HttpClient, decides; cancellation of a sampler call aborts its requests.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="options">Where the server is and what it supports; validated now.</param>
    /// <param name="clientName">Name of the HTTP client (change it to register samplers for several servers).</param>
    public static IHttpClientBuilder AddOpenAICompatibleSampler(this IServiceCollection services, OpenAICompatibleSamplerOptions options, string clientName = DefaultClientName)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(clientName);
        options.Validate();
        var builder = services.AddHttpClient(clientName, client => client.Timeout = TimeSpan.FromMinutes(10));
        builder.ConfigurePrimaryHttpMessageHandler(() => new SocketsHttpHandler
        {
            // The sampler is a singleton that keeps its client: recycle connections so DNS changes are seen.
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
            AutomaticDecompression = DecompressionMethods.All,
        });
        services.AddSingleton(sp => new OpenAICompatibleSampler(sp.GetRequiredService<IHttpClientFactory>().CreateClient(clientName), options));
        services.AddSingleton<ISampler>(sp => sp.GetRequiredService<OpenAICompatibleSampler>());
        return builder;
    }

    /// <summary>
    /// Registers an <see cref="OpenAICompatibleSampler"/> whose options are read from a configuration section
    /// (appsettings.json, environment variables, ...), e.g. <c>{"Endpoint": "http://gpu-node:8000/v1/", "Model": "m"}</c>
    /// under <c>"Sampler"</c> with <c>AddOpenAICompatibleSampler(configuration.GetSection("Sampler"))</c>.
    /// </summary>
    /// <remarks>
    /// The section is read once, now: a key that names no option, a value that does not convert, or options that fail
    /// <see cref="OpenAICompatibleSamplerOptions.Validate"/> throw an <see cref="InvalidOperationException"/> naming the
    /// key's full configuration path, so a typo in appsettings.json fails at start-up instead of being ignored.
    /// <see cref="OpenAICompatibleSamplerOptions.Tokenizer"/> (a delegate) cannot come from configuration.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configuration">The section holding the options (property names as keys).</param>
    /// <param name="clientName">Name of the HTTP client.</param>
    public static IHttpClientBuilder AddOpenAICompatibleSampler(this IServiceCollection services, IConfiguration configuration, string clientName = DefaultClientName)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddOpenAICompatibleSampler(ReadOptions(configuration), clientName);
    }

    private static OpenAICompatibleSamplerOptions ReadOptions(IConfiguration configuration)
    {
        string path = configuration is IConfigurationSection section ? section.Path : "(root)";
        var options = new OpenAICompatibleSamplerOptions();
        try
        {
            configuration.Bind(options, binder => binder.ErrorOnUnknownConfiguration = true);
        }
        catch (InvalidOperationException e)
        {
            throw new InvalidOperationException($"Configuration section '{path}' does not describe an OpenAI-compatible sampler: {e.Message}", e);
        }
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            // Validate names the option; point at the configuration key that sets it.
            string key = string.IsNullOrEmpty(e.ParamName) ? path : ConfigurationPath.Combine(path, e.ParamName);
            throw new InvalidOperationException($"Configuration key '{key}': {e.Message}", e);
        }
        return options;
    }
}
