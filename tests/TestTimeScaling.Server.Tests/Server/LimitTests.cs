using System.Net;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Server.Tests;

/// <summary>
/// Service limits, client disconnects and model roots, over a server whose model is a <see cref="GateSampler"/>
/// (served through <see cref="ServerOptions.Samplers"/>, as an upstream sampler would be), so requests stay in
/// flight exactly as long as a test wants.
/// </summary>
public sealed class LimitTests
{
    private static JsonObject Request(string prompt = "Q: 1 +1\n") => new() { ["model"] = "gate", ["prompt"] = prompt, ["max_tokens"] = 4 };

    private static async Task<(Microsoft.AspNetCore.Builder.WebApplication App, HttpClient Http)> StartAsync(GateSampler gate, Func<ServerOptions, ServerOptions>? change = null)
    {
        var options = new ServerOptions { Samplers = new Dictionary<string, ISampler> { ["gate"] = gate }, MaxConcurrentRequests = 2, MaxRowsInFlight = 8 };
        var app = await ServerApp.StartAsync(change?.Invoke(options) ?? options);
        return (app, new HttpClient { BaseAddress = ServerApp.BaseAddress(app), Timeout = TimeSpan.FromMinutes(1) });
    }

    [Fact]
    public async Task Requests_beyond_the_concurrency_limit_get_429_and_the_admitted_ones_finish()
    {
        var gate = new GateSampler();
        var (app, http) = await StartAsync(gate);
        await using var _ = app;
        using var __ = http;

        var first = HttpJson.PostAsync(http, "v1/completions", Request());
        var second = HttpJson.PostAsync(http, "v1/completions", Request());
        await GateSampler.WaitUntilAsync(() => gate.Entered == 2, "two requests are in the sampler");

        var third = await HttpJson.PostAsync(http, "v1/completions", Request());
        var error = HttpJson.AssertError(HttpStatusCode.TooManyRequests, third);
        Assert.Equal("rate_limit_exceeded", error.GetProperty("code").GetString());

        gate.Release();
        Assert.Equal(HttpStatusCode.OK, (await first).Status);
        Assert.Equal(HttpStatusCode.OK, (await second).Status);
        Assert.Equal(HttpStatusCode.OK, (await HttpJson.PostAsync(http, "v1/completions", Request())).Status);
    }

    [Fact]
    public async Task Rows_in_flight_are_capped()
    {
        var gate = new GateSampler();
        var (app, http) = await StartAsync(gate);
        await using var _ = app;
        using var __ = http;

        var big = Request();
        big["n"] = 6;
        var held = HttpJson.PostAsync(http, "v1/completions", big);
        await GateSampler.WaitUntilAsync(() => gate.Entered == 1, "the first request is in the sampler");
        var another = Request();
        another["n"] = 3; // 6 + 3 > 8
        HttpJson.AssertError(HttpStatusCode.TooManyRequests, await HttpJson.PostAsync(http, "v1/completions", another));
        gate.Release();
        Assert.Equal(6, (await held).Body.GetProperty("choices").GetArrayLength());
    }

    [Fact]
    public async Task A_body_over_the_size_limit_is_413()
    {
        var gate = new GateSampler();
        gate.Release();
        var (app, http) = await StartAsync(gate, o => o with { MaxRequestBodyBytes = 1024 });
        await using var _ = app;
        using var __ = http;

        var error = HttpJson.AssertError(HttpStatusCode.RequestEntityTooLarge, await HttpJson.PostAsync(http, "v1/completions", Request(new string('x', 4000))));
        Assert.Equal("request_too_large", error.GetProperty("code").GetString());

        // Without a Content-Length (chunked), the limit holds while the body is read: the server answers 413 and
        // closes the connection, which the client may see first as a broken pipe while it is still writing.
        using var chunked = new HttpRequestMessage(HttpMethod.Post, "v1/completions")
        {
            Content = new PushStreamContentLike(Request(new string('y', 4000)).ToJsonString()),
        };
        try
        {
            using var response = await http.SendAsync(chunked);
            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        }
        catch (HttpRequestException)
        {
        }
        var health = System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("health")).RootElement;
        Assert.Equal(0, health.GetProperty("completed_requests").GetInt32()); // neither oversized request was admitted
        Assert.Equal(HttpStatusCode.OK, (await HttpJson.PostAsync(http, "v1/completions", Request())).Status);
    }

    [Fact]
    public async Task Prompt_token_cap_is_400()
    {
        var gate = new GateSampler();
        gate.Release();
        var (app, http) = await StartAsync(gate, o => o with { MaxPromptTokens = 50 });
        await using var _ = app;
        using var __ = http;
        var error = HttpJson.AssertError(HttpStatusCode.BadRequest, await HttpJson.PostAsync(http, "v1/completions", Request(new string('1', 80))), "prompt");
        Assert.Equal("prompt_too_long", error.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_client_that_disconnects_cancels_its_work()
    {
        var gate = new GateSampler();
        var (app, http) = await StartAsync(gate);
        await using var _ = app;
        using var __ = http;

        using var cts = new CancellationTokenSource();
        var pending = HttpJson.PostAsync(http, "v1/completions", Request(), cts.Token);
        await GateSampler.WaitUntilAsync(() => gate.Entered == 1, "the request is in the sampler");
        cts.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);

        await GateSampler.WaitUntilAsync(() => gate.Cancelled == 1, "the server cancels the sampler call");
        await GateSampler.WaitUntilAsync(async () => (await Health(http)).GetProperty("cancelled_requests").GetInt32() == 1, "the server counts the cancelled request");
        var health = await Health(http);
        Assert.Equal("ok", health.GetProperty("status").GetString());
        Assert.Equal(0, health.GetProperty("requests_in_flight").GetInt32());

        static async Task<System.Text.Json.JsonElement> Health(HttpClient http) =>
            System.Text.Json.JsonDocument.Parse(await http.GetStringAsync("health")).RootElement.Clone();
    }

    [Fact]
    public void A_model_outside_the_roots_is_refused_before_loading()
    {
        string models = ServerOptions.EmbeddedDefaults().ModelRoots[0];
        string root = Directory.CreateTempSubdirectory("tts-root-").FullName;
        try
        {
            var outside = new ServerOptions { ModelRoots = [root], Models = [new ServedModelOptions { Name = "p", Path = Path.Combine(models, "arithmetic-policy") }] };
            var e = Assert.Throws<UnauthorizedAccessException>(() => ServerApp.Build(outside));
            Assert.Contains("outside the configured model roots", e.Message);

            var traversal = outside with { Models = [new ServedModelOptions { Name = "p", Path = Path.Combine(root, "..", Path.GetRelativePath(Path.GetDirectoryName(root)!, Path.Combine(models, "arithmetic-policy"))) }] };
            Assert.Throws<UnauthorizedAccessException>(() => ServerApp.Build(traversal));

            var link = Path.Combine(root, "linked");
            Directory.CreateSymbolicLink(link, Path.Combine(models, "arithmetic-policy"));
            var linked = outside with { Models = [new ServedModelOptions { Name = "p", Path = link }] };
            Assert.Throws<UnauthorizedAccessException>(() => ServerApp.Build(linked));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task Step_level_search_over_a_sampler_without_step_delimiters_is_400()
    {
        var flat = new GateSampler { Capabilities = new SamplerCapabilities { StepDelimiter = false, ContextLength = 4096 } };
        flat.Release();
        var embedded = ServerOptions.EmbeddedDefaults();
        await using var app = await ServerApp.StartAsync(embedded with
        {
            Models = [embedded.Models[1]], // the reward model only
            Samplers = new Dictionary<string, ISampler> { ["flat"] = flat },
        });
        using var http = new HttpClient { BaseAddress = ServerApp.BaseAddress(app) };
        var body = new JsonObject { ["model"] = "flat+beam-search-2", ["prompt"] = "Q: 1 +1\n" };
        var error = HttpJson.AssertError(HttpStatusCode.BadRequest, await HttpJson.PostAsync(http, "v1/completions", body));
        Assert.Equal("not_supported", error.GetProperty("code").GetString());
        Assert.Contains("StepDelimiter", error.GetProperty("message").GetString());
        Assert.Equal(HttpStatusCode.OK, (await HttpJson.PostAsync(http, "v1/completions", new JsonObject { ["model"] = "flat+self-consistency-2", ["prompt"] = "Q: 1 +1\n" })).Status);
    }

    [Fact]
    public void Invalid_options_are_refused_by_name()
    {
        var e = Assert.Throws<ArgumentException>(() => ServerApp.Build(new ServerOptions()));
        Assert.Equal("Models", e.ParamName);
        var negative = new ServerOptions { Samplers = new Dictionary<string, ISampler> { ["gate"] = new GateSampler() }, MaxN = 0 };
        Assert.Equal("MaxN", Assert.ThrowsAny<ArgumentException>(() => ServerApp.Build(negative)).ParamName);
    }

    /// <summary>Content without a known length, so the client sends it chunked.</summary>
    private sealed class PushStreamContentLike(string text) : HttpContent
    {
        protected override Task SerializeToStreamAsync(Stream stream, System.Net.TransportContext? context) =>
            stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes(text)).AsTask();

        protected override bool TryComputeLength(out long length)
        {
            length = 0;
            return false;
        }
    }
}
