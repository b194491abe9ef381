using System.Diagnostics;
using System.Diagnostics.Metrics;
using TestTimeScaling.OpenAI.Tests.Infrastructure;

namespace TestTimeScaling.OpenAI.Tests.Sampling;

/// <summary>Spans and metrics of the remote sampler, read with the BCL listeners an OpenTelemetry exporter uses.</summary>
public sealed class TelemetryTests
{
    [Fact]
    public async Task A_call_is_one_client_span_with_gen_ai_tags_and_token_usage_is_recorded()
    {
        var upstream = new ScriptedUpstream();
        await using var server = await LoopbackServer.StartAsync(upstream.HandleAsync);
        using var http = new HttpClient();
        var model = "telemetry-" + Guid.NewGuid().ToString("N"); // tells this test's records from parallel tests'
        var sampler = new OpenAICompatibleSampler(http, new OpenAICompatibleSamplerOptions { Endpoint = server.V1, Model = model });

        var spans = new List<Activity>();
        using var activities = new ActivityListener
        {
            ShouldListenTo = s => s.Name == OpenAITelemetry.SourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a => { if (a.DisplayName.EndsWith(model, StringComparison.Ordinal)) lock (spans) spans.Add(a); },
        };
        ActivitySource.AddActivityListener(activities);
        var tokens = new List<(long Value, string? Type)>();
        using var meters = new MeterListener();
        meters.InstrumentPublished = (i, l) => { if (i.Meter.Name == OpenAITelemetry.SourceName) l.EnableMeasurementEvents(i); };
        meters.SetMeasurementEventCallback<long>((i, value, tags, _) =>
        {
            var t = tags.ToArray();
            if (i.Name == "gen_ai.client.token.usage" && t.Any(x => x.Key == "gen_ai.request.model" && (string?)x.Value == model))
                lock (tokens) tokens.Add((value, (string?)t.First(x => x.Key == "gen_ai.token.type").Value));
        });
        meters.Start();

        var result = await sampler.SampleAsync(new SampleRequest { Prompt = "Q", N = 2, Options = new SamplingOptions { Seed = 1, MaxNewTokens = 64, Temperature = 0.5 } });

        var span = Assert.Single(spans);
        Assert.Equal($"text_completion {model}", span.DisplayName);
        Assert.Equal(ActivityKind.Client, span.Kind);
        Assert.Equal("text_completion", span.GetTagItem("gen_ai.operation.name"));
        Assert.Equal(model, span.GetTagItem("gen_ai.request.model"));
        Assert.Equal(0.5, span.GetTagItem("gen_ai.request.temperature"));
        Assert.Equal(2, span.GetTagItem("gen_ai.request.choice.count"));
        Assert.Equal(result.Usage.GeneratedTokens, span.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Equal(["stop"], (string[])span.GetTagItem("gen_ai.response.finish_reasons")!);
        Assert.Equal("127.0.0.1", span.GetTagItem("server.address"));
        Assert.Contains((result.Usage.PromptTokens, "input"), tokens);
        Assert.Contains((result.Usage.GeneratedTokens, "output"), tokens);
    }
}
