using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Http.Resilience;
using Polly;

namespace TestTimeScaling.OpenAI.Tests.Faults;

/// <summary>A sampler registered as an app would: IHttpClientFactory plus the standard resilience handler, with short test timings.</summary>
public sealed class ResilientSampler : IDisposable
{
    private readonly ServiceProvider _services;

    public ResilientSampler(Uri v1, TimeSpan attemptTimeout, int retries = 2, Func<OpenAICompatibleSamplerOptions, OpenAICompatibleSamplerOptions>? configure = null)
    {
        var options = new OpenAICompatibleSamplerOptions { Endpoint = v1, Model = "faulty-model", MaxRowsPerRequest = 8 };
        var services = new ServiceCollection();
        services.AddOpenAICompatibleSampler(configure?.Invoke(options) ?? options)
            .AddStandardResilienceHandler(o =>
            {
                o.Retry.MaxRetryAttempts = retries;
                o.Retry.BackoffType = DelayBackoffType.Constant;
                o.Retry.UseJitter = false;
                o.Retry.Delay = TimeSpan.FromMilliseconds(20);
                o.AttemptTimeout.Timeout = attemptTimeout;
                o.TotalRequestTimeout.Timeout = attemptTimeout * (retries + 2) + TimeSpan.FromSeconds(5);
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromTicks(Math.Max(attemptTimeout.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
            });
        _services = services.BuildServiceProvider();
        Sampler = _services.GetRequiredService<OpenAICompatibleSampler>();
    }

    public OpenAICompatibleSampler Sampler { get; }

    public void Dispose() => _services.Dispose();
}
