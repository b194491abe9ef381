using TestTimeScaling.OpenAI.Tests.Infrastructure;
using Xunit.Abstractions;

namespace TestTimeScaling.OpenAI.Tests.EndToEnd;

/// <summary>
/// What strategies cost in HTTP requests against the project's server (the figures in docs/scale-out.md come from
/// this test's output): parallel strategies one request per MaxRowsPerRequest rows, step-level search one request
/// per live prefix per step.
/// </summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class RequestCostTests(EmbeddedServerFixture fixture, ITestOutputHelper output)
{
    private const string Prompt = "Q: 17 +8 *3 -12\n";

    private sealed record Cost(string Strategy, int SamplerCalls, int Requests, long GeneratedTokens);

    private async Task<Cost> MeasureAsync(string name, int maxRows, Func<ScalingBuilder, ScalingPipeline> pick)
    {
        var handler = new CountingHandler();
        using var http = new HttpClient(handler);
        var sampler = new OpenAICompatibleSampler(http, new OpenAICompatibleSamplerOptions
        {
            Endpoint = fixture.V1, Model = "arithmetic-policy", MaxRowsPerRequest = maxRows, StreamForStopAfterFinished = false,
        });
        var calls = new CallCounter(sampler);
        var builder = Scale.With(calls).Extractor(LastLineAnswerExtractor.Default).Verifier(fixture.Prm.CreateProcessVerifier()).Sampling(new SamplingOptions { Seed = 1, MaxNewTokens = 100 });
        var result = await pick(builder).SolveAsync(Prompt);
        output.WriteLine($"{name}: {result.Outcome}, {result.Candidates.Count} candidates, answer {result.Answer}, {result.Usage.WallTime.TotalSeconds:F1} s");
        Assert.NotEmpty(result.Candidates);
        return new Cost(name, calls.Calls, handler.Completions, result.Usage.GeneratedTokens);
    }

    [Fact]
    public async Task Parallel_strategies_cost_one_request_per_row_chunk_and_search_one_per_live_prefix()
    {
        var costs = new List<Cost>
        {
            await MeasureAsync("self-consistency(16), 8 rows/request", 8, b => b.SelfConsistency(16)),
            await MeasureAsync("best-of-n(16), 16 rows/request", 16, b => b.BestOfN(16)),
            await MeasureAsync("beam-search(width 2, expansions 2)", 64, b => b.BeamSearch(beamWidth: 2, expansions: 2)),
            await MeasureAsync("particle-filtering(4)", 64, b => b.ParticleFiltering(particles: 4)),
        };
        foreach (var c in costs) output.WriteLine($"| {c.Strategy} | {c.SamplerCalls} | {c.Requests} | {c.GeneratedTokens} |");

        Assert.Equal((1, 2), (costs[0].SamplerCalls, costs[0].Requests));
        Assert.Equal((1, 1), (costs[1].SamplerCalls, costs[1].Requests));
        // Step-level search: each call carries every live prefix, each prefix is one request.
        Assert.True(costs[2].Requests > costs[2].SamplerCalls);
        Assert.True(costs[2].Requests <= 2 * costs[2].SamplerCalls);
        Assert.True(costs[3].Requests <= 4 * costs[3].SamplerCalls);
    }

    private sealed class CallCounter(ISampler inner) : ISampler
    {
        public int Calls;
        public SamplerCapabilities Capabilities => inner.Capabilities;
        public int CountTokens(string text) => inner.CountTokens(text);
        public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref Calls);
            return inner.SampleAsync(request, cancellationToken);
        }
    }

    private sealed class CountingHandler() : DelegatingHandler(new SocketsHttpHandler())
    {
        private int _completions;

        public int Completions => Volatile.Read(ref _completions);

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            if (request.RequestUri!.AbsolutePath.EndsWith("/completions", StringComparison.Ordinal)) Interlocked.Increment(ref _completions);
            return base.SendAsync(request, cancellationToken);
        }
    }
}
