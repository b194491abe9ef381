using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using TestTimeScaling.OpenAI.Tests.Infrastructure;

namespace TestTimeScaling.OpenAI.Tests.Faults;

/// <summary>
/// A real misbehaving upstream on loopback: every fault is retried by the resilience handler or ends in a specific
/// exception naming endpoint, model, status and field. Never a hang, and what was spent is kept.
/// </summary>
public sealed class FaultInjectionTests
{
    private static readonly TimeSpan Guard = TimeSpan.FromSeconds(60); // a hang fails the test instead of the run

    private static SampleRequest Request(int n = 1, params string[] prefixes) => new()
    {
        Prompt = "Q", N = n, Prefixes = prefixes.Length == 0 ? [""] : prefixes, Options = new SamplingOptions { Seed = 4, MaxNewTokens = 100 },
    };

    private static Task Error(HttpContext ctx, int status, string message, Action<HttpResponse>? headers = null)
    {
        headers?.Invoke(ctx.Response);
        return ScriptedUpstream.WriteJsonAsync(ctx, status, new JsonObject { ["error"] = new JsonObject { ["message"] = message } });
    }

    [Fact]
    public async Task Server_errors_are_retried_until_one_succeeds()
    {
        var upstream = new ScriptedUpstream();
        await using var server = await LoopbackServer.StartAsync((ctx, r) => r.Number <= 2 ? Error(ctx, 500, "boom") : upstream.HandleAsync(ctx, r));
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(5));

        var result = await resilient.Sampler.SampleAsync(Request(n: 2)).WaitAsync(Guard);

        Assert.Equal(3, Completions(server));
        Assert.Equal(2, result.Completions.Count);
        Assert.Equal(upstream.GeneratedTokens, result.Usage.GeneratedTokens);
    }

    [Fact]
    public async Task Too_many_requests_waits_for_retry_after_then_retries()
    {
        var upstream = new ScriptedUpstream();
        var arrivals = new List<long>();
        await using var server = await LoopbackServer.StartAsync((ctx, r) =>
        {
            lock (arrivals) arrivals.Add(Stopwatch.GetTimestamp());
            return r.Number == 1 ? Error(ctx, 429, "slow down", res => res.Headers.RetryAfter = "1") : upstream.HandleAsync(ctx, r);
        });
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(5));

        var result = await resilient.Sampler.SampleAsync(Request()).WaitAsync(Guard);

        Assert.Single(result.Completions);
        Assert.Equal(2, Completions(server));
        // The configured backoff is 20 ms; the gap shows the server's Retry-After (1 s) was honoured.
        Assert.True(Stopwatch.GetElapsedTime(arrivals[0], arrivals[1]) >= TimeSpan.FromMilliseconds(900));
    }

    [Fact]
    public async Task Persistent_errors_end_in_a_specific_exception_naming_endpoint_model_and_status()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, _) => Error(ctx, 503, "overloaded"));
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(5), retries: 2);

        var e = await Assert.ThrowsAsync<OpenAICompatibleServerException>(() => resilient.Sampler.SampleAsync(Request()).WaitAsync(Guard));

        Assert.Equal(3, Completions(server)); // then the prompt's tokens are counted (a /tokenize call, failing too: estimated)
        Assert.Equal(HttpStatusCode.ServiceUnavailable, e.StatusCode);
        Assert.Equal("faulty-model", e.Model);
        Assert.Equal(new Uri(server.V1, "completions"), e.Endpoint);
        Assert.Contains("overloaded", e.Message);
        Assert.Contains(server.V1.ToString(), e.Message);
    }

    [Fact]
    public async Task A_dropped_connection_is_retried()
    {
        var upstream = new ScriptedUpstream();
        await using var server = await LoopbackServer.StartAsync((ctx, r) =>
        {
            if (r.Number == 1) { ctx.Abort(); return Task.CompletedTask; }
            return upstream.HandleAsync(ctx, r);
        });
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(5));

        var result = await resilient.Sampler.SampleAsync(Request()).WaitAsync(Guard);

        Assert.Equal(2, Completions(server));
        Assert.Equal(FinishReason.Stop, result.Completions.Single().FinishReason);
    }

    [Fact]
    public async Task Connections_that_always_drop_end_in_a_specific_exception_without_a_status()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, _) => { ctx.Abort(); return Task.CompletedTask; });
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(5), retries: 1);

        var e = await Assert.ThrowsAsync<OpenAICompatibleServerException>(() => resilient.Sampler.SampleAsync(Request()).WaitAsync(Guard));

        Assert.Null(e.StatusCode);
        Assert.Equal(2, Completions(server));
        Assert.IsAssignableFrom<HttpRequestException>(e.InnerException);
    }

    [Fact]
    public async Task A_stalled_server_times_out_per_attempt_and_fails_instead_of_hanging()
    {
        var aborted = 0;
        await using var server = await LoopbackServer.StartAsync(async (ctx, _) =>
        {
            try { await Task.Delay(Timeout.Infinite, ctx.RequestAborted); }
            catch (OperationCanceledException) { Interlocked.Increment(ref aborted); throw; }
        });
        // Long enough that each attempt is read and counted by the server even on a loaded CI machine (at 300 ms
        // the second attempt once timed out while its body was still being parsed, and was never counted).
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(1), retries: 1);

        var e = await Assert.ThrowsAsync<OpenAICompatibleServerException>(() => resilient.Sampler.SampleAsync(Request()).WaitAsync(Guard));

        Assert.Null(e.StatusCode);
        Assert.Equal(2, Completions(server));
        Assert.Contains("Timeout", e.InnerException!.GetType().Name);
        await WaitUntilAsync(() => Volatile.Read(ref aborted) == 2); // each timed-out attempt closed its request
    }

    [Fact]
    public async Task Truncated_json_names_the_field_and_is_not_a_hang()
    {
        await using var server = await LoopbackServer.StartAsync(async (ctx, _) =>
        {
            ctx.Response.ContentType = "application/json";
            await ctx.Response.WriteAsync("{\"id\":\"x\",\"choices\":[{\"index\":0,\"text\":\"1 * 3");
        });
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(5));

        var e = await Assert.ThrowsAsync<OpenAICompatibleServerException>(() => resilient.Sampler.SampleAsync(Request()).WaitAsync(Guard));

        Assert.Equal(HttpStatusCode.OK, e.StatusCode);
        Assert.NotNull(e.Field);
        Assert.Contains("not valid JSON", e.Message);
        Assert.Equal(1, Completions(server)); // a 200 is not retried: the handler saw success
    }

    [Fact]
    public async Task Fewer_choices_than_asked_is_a_specific_exception_naming_choices()
    {
        // llama.cpp and Ollama ignore n: one choice comes back for n = 3.
        var upstream = new ScriptedUpstream();
        await using var server = await LoopbackServer.StartAsync((ctx, r) =>
        {
            r.Body!["n"] = 1;
            return upstream.HandleAsync(ctx, r);
        });
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(5));

        var e = await Assert.ThrowsAsync<OpenAICompatibleServerException>(() => resilient.Sampler.SampleAsync(Request(n: 3)).WaitAsync(Guard));

        Assert.Equal("choices", e.Field);
        Assert.Contains("MaxRowsPerRequest = 1", e.Message);
        // The one choice that came back was generated and is charged.
        Assert.Equal(upstream.GeneratedTokens, e.Partial!.Usage.GeneratedTokens);
    }

    [Fact]
    public async Task A_stream_cut_short_names_the_unfinished_row_and_keeps_what_streamed()
    {
        await using var server = await LoopbackServer.StartAsync(async (ctx, _) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await ScriptedUpstream.WriteEventAsync(ctx, new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = "ab", ["finish_reason"] = "stop" }) }, default);
            await ScriptedUpstream.WriteEventAsync(ctx, new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["index"] = 1, ["text"] = "abc", ["finish_reason"] = null }) }, default);
            // ... and the connection ends without row 1 finishing or [DONE].
        });
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(5), configure: o => o with { SupportsLogprobs = false, TokenCounting = TokenCounting.Estimate, CharactersPerTokenEstimate = 1 });

        var e = await Assert.ThrowsAsync<OpenAICompatibleServerException>(() =>
            resilient.Sampler.SampleAsync(Request(n: 3) with { StopAfterFinished = 2 }).WaitAsync(Guard));

        Assert.Equal("choices[1].finish_reason", e.Field);
        Assert.Contains("before [DONE]", e.Message);
        Assert.Equal(["ab", "abc", ""], e.Partial!.Completions.Select(c => c.Text));
        Assert.Equal([FinishReason.Stop, FinishReason.Abandoned, FinishReason.Abandoned], e.Partial.Completions.Select(c => c.FinishReason));
        Assert.Equal(5, e.Partial.Usage.GeneratedTokens);
        Assert.True(e.Partial.Usage.TokensEstimated);
    }

    [Fact]
    public async Task When_one_request_fails_the_usage_of_the_others_is_kept_on_the_exception()
    {
        var upstream = new ScriptedUpstream();
        await using var server = await LoopbackServer.StartAsync((ctx, r) =>
            ((string)r.Body!["prompt"]!).Contains("FAIL") ? Error(ctx, 400, "this prefix is refused") : upstream.HandleAsync(ctx, r));
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(5), configure: o => o with { MaxConcurrentRequests = 1 });

        var e = await Assert.ThrowsAsync<OpenAICompatibleServerException>(() => resilient.Sampler.SampleAsync(Request(2, "fine", "FAIL")).WaitAsync(Guard));

        Assert.Equal(HttpStatusCode.BadRequest, e.StatusCode);
        Assert.Contains("this prefix is refused", e.Message);
        var partial = e.Partial!;
        Assert.Equal(upstream.GeneratedTokens, partial.Usage.GeneratedTokens);
        Assert.True(partial.Usage.GeneratedTokens > 0);
        Assert.Equal([FinishReason.Stop, FinishReason.Stop, FinishReason.Abandoned, FinishReason.Abandoned], partial.Completions.Select(c => c.FinishReason));
    }

    [Fact]
    public async Task A_context_length_rejection_is_an_argument_exception_naming_the_prompt()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, _) => Error(ctx, 400,
            "This model's maximum context length is 2048 tokens. However, you requested 4000 tokens (3900 in the messages, 100 in the completion)."));
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(5));

        var e = await Assert.ThrowsAsync<ArgumentException>(() => resilient.Sampler.SampleAsync(Request()).WaitAsync(Guard));

        Assert.Equal("request.Prompt", e.ParamName);
        Assert.Contains("2048", e.Message);
    }

    [Fact]
    public async Task Cancellation_aborts_the_http_request_and_reports_what_was_spent()
    {
        var aborted = new TaskCompletionSource();
        var upstream = new ScriptedUpstream();
        await using var server = await LoopbackServer.StartAsync(async (ctx, r) =>
        {
            if (!((string)r.Body!["prompt"]!).Contains("slow")) { await upstream.HandleAsync(ctx, r); return; }
            ctx.RequestAborted.Register(() => aborted.TrySetResult());
            await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
        });
        using var resilient = new ResilientSampler(server.V1, TimeSpan.FromSeconds(30), configure: o => o with { MaxConcurrentRequests = 1 });
        using var cts = new CancellationTokenSource();

        var call = resilient.Sampler.SampleAsync(Request(1, "quick", "slow"), cts.Token);
        await WaitUntilAsync(() => server.RequestCount == 2);
        cts.Cancel();

        var e = await Assert.ThrowsAsync<SamplingCanceledException>(() => call.WaitAsync(Guard));
        await aborted.Task.WaitAsync(Guard);
        Assert.Equal(upstream.GeneratedTokens, e.Partial.Usage.GeneratedTokens);
        Assert.Equal([FinishReason.Stop, FinishReason.Abandoned], e.Partial.Completions.Select(c => c.FinishReason));
    }

    [Fact]
    public void The_registration_returns_the_client_builder_and_validates_options_first()
    {
        var services = new ServiceCollection();
        var builder = services.AddOpenAICompatibleSampler(new OpenAICompatibleSamplerOptions { Endpoint = new Uri("http://127.0.0.1:9/v1/"), Model = "m" }, "custom");
        Assert.Equal("custom", builder.Name);
        using var provider = services.BuildServiceProvider();
        Assert.Same(provider.GetRequiredService<OpenAICompatibleSampler>(), provider.GetRequiredService<ISampler>());
        Assert.Equal("Model", Assert.Throws<ArgumentException>(() =>
            new ServiceCollection().AddOpenAICompatibleSampler(new OpenAICompatibleSamplerOptions { Endpoint = new Uri("http://x/v1/") })).ParamName);
    }

    private static int Completions(LoopbackServer server) => server.Requests.Count(r => r.Path == "/v1/completions");

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = Stopwatch.GetTimestamp() + Stopwatch.Frequency * 30;
        while (!condition())
        {
            if (Stopwatch.GetTimestamp() > until) throw new TimeoutException("The condition did not hold within 30 s.");
            await Task.Delay(10);
        }
    }
}
