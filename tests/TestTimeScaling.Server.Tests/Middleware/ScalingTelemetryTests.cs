using System.Diagnostics;
using Microsoft.Extensions.AI;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using TestTimeScaling.Extensions.AI;

namespace TestTimeScaling.Server.Tests;

/// <summary>The middleware's spans and metrics, collected with OpenTelemetry's in-memory exporter under a fresh source name.</summary>
public sealed class ScalingTelemetryTests
{
    private static TestChatClient Answering(string text) => new()
    {
        GetResponseAsyncCallback = (m, o, ct) => Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
        {
            Usage = new UsageDetails { InputTokenCount = 4, OutputTokenCount = 6 },
        }),
    };

    [Fact]
    public async Task A_run_is_one_strategy_span_over_its_sampler_call_with_metrics()
    {
        string source = "tts-test-" + Guid.NewGuid().ToString("N");
        var spans = new List<Activity>();
        var metrics = new List<Metric>();
        using (var tracer = Sdk.CreateTracerProviderBuilder().AddSource(source).AddInMemoryExporter(spans).Build())
        using (var meter = Sdk.CreateMeterProviderBuilder().AddMeter(source).AddInMemoryExporter(metrics).Build())
        {
            using var client = Answering("A: 5").AsBuilder().UseSelfConsistency(3, o => o.TelemetrySourceName = source).Build();
            await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Q?")], new ChatOptions { ModelId = "m1", Temperature = 0.3f });
            meter.ForceFlush();
        }

        var run = Assert.Single(spans, s => s.DisplayName == "test_time_scaling self-consistency");
        Assert.Equal("test_time_scaling", run.GetTagItem("gen_ai.operation.name"));
        Assert.Equal("Completed", run.GetTagItem("test_time_scaling.outcome"));
        Assert.Equal(18L, run.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.NotEmpty(run.Events);
        // Self-consistency asks its sampler once for three samples; without a native sampler that call is three chat calls.
        var call = Assert.Single(spans, s => s.DisplayName == "chat m1");
        Assert.Equal(run.SpanId, call.ParentSpanId);
        Assert.Equal(ActivityKind.Client, call.Kind);
        Assert.Equal(0.3, (double)call.GetTagItem("gen_ai.request.temperature")!, 5);
        Assert.Equal(3, call.GetTagItem("gen_ai.request.choice.count"));
        Assert.Equal(18L, call.GetTagItem("gen_ai.usage.output_tokens"));
        Assert.Contains(metrics, m => m.Name == "gen_ai.client.token.usage");
        Assert.Contains(metrics, m => m.Name == "gen_ai.client.operation.duration");
        Assert.Contains(metrics, m => m.Name == "test_time_scaling.run.duration");
        Assert.Contains(metrics, m => m.Name == "test_time_scaling.tokens.generated");
    }

    [Fact]
    public async Task Nothing_is_recorded_without_a_listener()
    {
        string source = "tts-test-" + Guid.NewGuid().ToString("N");
        var spans = new List<Activity>();
        using (var tracer = Sdk.CreateTracerProviderBuilder().AddSource("some-other-source").AddInMemoryExporter(spans).Build())
        {
            using var client = Answering("A: 5").AsBuilder().UseSelfConsistency(2, o => o.TelemetrySourceName = source).Build();
            await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Q?")]);
        }
        Assert.Empty(spans);
    }
}
