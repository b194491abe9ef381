using Microsoft.Extensions.DependencyInjection;

namespace TestTimeScaling.OpenAI.Tests.EndToEnd;

/// <summary>The recipe of docs/scale-out.md (and the proposed README lines), compiled and run against the project's server.</summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class DocsRecipeTests(EmbeddedServerFixture fixture)
{
    [Fact]
    public async Task The_scale_out_recipe_runs_a_strategy_over_an_openai_compatible_url()
    {
        var url = fixture.V1; // in the docs: new Uri("http://gpu-node:8000/v1/")

        var services = new ServiceCollection();
        services.AddOpenAICompatibleSampler(new OpenAICompatibleSamplerOptions
            {
                Endpoint = url,
                Model = "arithmetic-policy",
                MaxConcurrentRequests = 64,
                ServerCachesPrefixes = true,
            })
            .AddStandardResilienceHandler(o =>
            {
                o.AttemptTimeout.Timeout = TimeSpan.FromMinutes(5);
                o.TotalRequestTimeout.Timeout = TimeSpan.FromMinutes(15);
                o.CircuitBreaker.SamplingDuration = TimeSpan.FromMinutes(10);
            });
        using var provider = services.BuildServiceProvider();
        var sampler = provider.GetRequiredService<ISampler>();

        var result = await Scale.With(sampler).Extractor(LastLineAnswerExtractor.Default).Sampling(new SamplingOptions { Seed = 1, MaxNewTokens = 100 }).SelfConsistency(16).SolveAsync("Q: 17 +8 *3 -12\n");

        Assert.Equal(16, result.Candidates.Count);
        Assert.NotNull(result.Answer);
        Assert.True(result.Usage.GeneratedTokens > 0);
    }
}
