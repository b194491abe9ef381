using Microsoft.AspNetCore.Builder;
using TestTimeScaling.Torch;

namespace TestTimeScaling.Server.Tests;

/// <summary>
/// The server over the embedded models on a loopback port, started once, and the same models loaded again in
/// process, so a test can compare an answer over HTTP with the one the library gives directly.
/// </summary>
public sealed class EmbeddedServerFixture : IAsyncLifetime
{
    public WebApplication App { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public HttpClient Http { get; private set; } = null!;

    public ServerOptions Options { get; private set; } = null!;

    /// <summary>The policy loaded in process (not the server's copy).</summary>
    public LanguageModel Policy { get; private set; } = null!;

    public LanguageModel Prm { get; private set; } = null!;

    public GenerationEngine Sampler { get; private set; } = null!;

    public ProcessRewardVerifier Verifier { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Options = ServerOptions.EmbeddedDefaults();
        App = await ServerApp.StartAsync(Options);
        BaseAddress = ServerApp.BaseAddress(App);
        Http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromMinutes(2) };
        Policy = LanguageModel.Load(Options.Models[0].Path);
        Prm = LanguageModel.Load(Options.Models[1].Path);
        Sampler = Policy.CreateSampler();
        Verifier = Prm.CreateProcessVerifier();
    }

    public async Task DisposeAsync()
    {
        Http.Dispose();
        await App.DisposeAsync();
        Sampler.Dispose();
        Policy.Dispose();
        Prm.Dispose();
    }
}

/// <summary>Every test over the embedded server shares one instance (the models load once).</summary>
[CollectionDefinition(Name)]
public sealed class EmbeddedServerCollection : ICollectionFixture<EmbeddedServerFixture>
{
    public const string Name = "Embedded server";
}
