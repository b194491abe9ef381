using Microsoft.AspNetCore.Builder;
using TestTimeScaling.OpenAI.Tests.Infrastructure;
using TestTimeScaling.Server;
using TestTimeScaling.Tests.Fakes;
using TestTimeScaling.Torch;

namespace TestTimeScaling.OpenAI.Tests.EndToEnd;

/// <summary>
/// The project's own OpenAI-compatible server on a loopback port, serving the embedded policy and PRM, plus a
/// counting scripted model (<c>counted</c>) for budget checks; and the same models loaded in process for comparison.
/// </summary>
public sealed class EmbeddedServerFixture : IAsyncLifetime
{
    public WebApplication Server { get; private set; } = null!;
    public Uri BaseAddress { get; private set; } = null!;
    public Uri V1 => new(BaseAddress, "v1/");
    public LanguageModel Policy { get; private set; } = null!;
    public LanguageModel Prm { get; private set; } = null!;
    public CountingSampler Counted { get; } = new(new ScriptedSampler(stepErrorRate: 0.3) { Verbosity = 0.3 });
    public HttpClient Http { get; } = new() { Timeout = TimeSpan.FromMinutes(5) };

    public async Task InitializeAsync()
    {
        var options = ServerOptions.EmbeddedDefaults();
        options = options with { Samplers = new Dictionary<string, ISampler> { ["counted"] = Counted } };
        Server = await ServerApp.StartAsync(options);
        BaseAddress = ServerApp.BaseAddress(Server);
        var models = Path.GetDirectoryName(options.Models[0].Path)!;
        Policy = LanguageModel.Load(Path.Combine(models, "arithmetic-policy"));
        Prm = LanguageModel.Load(Path.Combine(models, "arithmetic-prm"));
    }

    public OpenAICompatibleSampler Sampler(string model = "arithmetic-policy", Func<OpenAICompatibleSamplerOptions, OpenAICompatibleSamplerOptions>? configure = null)
    {
        var options = new OpenAICompatibleSamplerOptions { Endpoint = V1, Model = model, MaxConcurrentRequests = 8 };
        return new OpenAICompatibleSampler(Http, configure?.Invoke(options) ?? options);
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await Server.StopAsync();
        await Server.DisposeAsync();
        Policy?.Dispose();
        Prm?.Dispose();
    }
}

[CollectionDefinition(Name)]
public sealed class EmbeddedServerCollection : ICollectionFixture<EmbeddedServerFixture>
{
    public const string Name = "embedded server";
}
