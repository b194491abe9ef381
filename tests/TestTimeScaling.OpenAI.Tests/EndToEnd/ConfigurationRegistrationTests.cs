using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace TestTimeScaling.OpenAI.Tests.EndToEnd;

/// <summary>The sampler registered from a configuration section (appsettings.json style) instead of an options object.</summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class ConfigurationRegistrationTests(EmbeddedServerFixture fixture)
{
    private static IConfigurationSection Section(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values).Build().GetSection("Sampler");

    [Fact]
    public async Task A_configured_sampler_reads_every_key_and_runs_a_strategy_against_the_server()
    {
        var services = new ServiceCollection();
        services.AddOpenAICompatibleSampler(Section(new()
        {
            ["Sampler:Endpoint"] = fixture.V1.ToString(),
            ["Sampler:Model"] = "arithmetic-policy",
            ["Sampler:MaxConcurrentRequests"] = "3",
            ["Sampler:MaxRowsPerRequest"] = "2",
            ["Sampler:TokenCounting"] = "Estimate",
            ["Sampler:AdditionalRequestFields:user"] = "config-test",
        }));
        using var provider = services.BuildServiceProvider();
        var sampler = provider.GetRequiredService<OpenAICompatibleSampler>();
        Assert.Same(sampler, provider.GetRequiredService<ISampler>());
        Assert.Equal(3, sampler.Options.MaxConcurrentRequests);
        Assert.Equal(2, sampler.Options.MaxRowsPerRequest);
        Assert.Equal(TokenCounting.Estimate, sampler.Options.TokenCounting);
        Assert.Equal("config-test", sampler.Options.AdditionalRequestFields["user"]?.ToString());

        var result = await Scale.With(sampler).Extractor(LastLineAnswerExtractor.Default)
            .Sampling(new SamplingOptions { Seed = 3, MaxNewTokens = 100 }).SelfConsistency(4).SolveAsync("Q: 17 +8 *3 -12\n");
        Assert.Equal(4, result.Candidates.Count);
        Assert.True(result.Usage.GeneratedTokens > 0);
    }

    [Theory]
    [InlineData("Sampler:Endpont", "http://localhost:1/v1/", "Endpont")]          // a typo is refused, not ignored
    [InlineData("Sampler:MaxConcurrentRequests", "many", "Sampler:MaxConcurrentRequests")]
    [InlineData("Sampler:MaxRowsPerRequest", "0", "Sampler:MaxRowsPerRequest")]
    public void A_bad_key_or_value_names_its_configuration_path(string key, string value, string named)
    {
        var values = new Dictionary<string, string?>
        {
            ["Sampler:Endpoint"] = "http://localhost:1/v1/",
            ["Sampler:Model"] = "m",
            [key] = value,
        };
        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddOpenAICompatibleSampler(Section(values)));
        Assert.Contains(named, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_model_names_the_key_it_needs()
    {
        var e = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddOpenAICompatibleSampler(
            Section(new() { ["Sampler:Endpoint"] = "http://localhost:1/v1/" })));
        Assert.Contains("Sampler:Model", e.Message, StringComparison.Ordinal);
    }
}
