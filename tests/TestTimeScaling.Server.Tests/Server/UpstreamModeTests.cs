using System.Net;
using System.Text.Json.Nodes;
using TestTimeScaling.OpenAI;

namespace TestTimeScaling.Server.Tests;

/// <summary>
/// Upstream mode: a second server whose model is an <see cref="OpenAICompatibleSampler"/> over the embedded server,
/// so every sample crosses two real HTTP hops; strategies run in the front server.
/// </summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class UpstreamModeTests(EmbeddedServerFixture fixture)
{
    private const string Prompt = "Q: 17 +8 *3 -12\n";

    private async Task<(Microsoft.AspNetCore.Builder.WebApplication App, HttpClient Http)> StartFrontAsync()
    {
        var front = await ServerApp.StartAsync(new ServerOptions
        {
            Upstreams = [new OpenAICompatibleSamplerOptions { Endpoint = new Uri(fixture.BaseAddress, "v1/"), Model = "arithmetic-policy", ContextLength = 256 }],
        });
        return (front, new HttpClient { BaseAddress = ServerApp.BaseAddress(front), Timeout = TimeSpan.FromMinutes(2) });
    }

    [Fact]
    public async Task A_plain_completion_through_the_front_equals_the_upstream_answer()
    {
        var (app, http) = await StartFrontAsync();
        await using var _ = app;
        using var __ = http;
        var body = new JsonObject { ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["seed"] = 31, ["n"] = 2, ["max_tokens"] = 50 };
        var viaFront = await HttpJson.PostAsync(http, "v1/completions", body.DeepClone());
        var direct = await HttpJson.PostAsync(fixture.Http, "v1/completions", body);
        Assert.Equal(HttpStatusCode.OK, viaFront.Status);
        for (int i = 0; i < 2; i++)
            Assert.Equal(direct.Body.GetProperty("choices")[i].GetProperty("text").GetString(), viaFront.Body.GetProperty("choices")[i].GetProperty("text").GetString());
    }

    [Fact]
    public async Task A_streamed_completion_passes_through_the_front_in_pieces()
    {
        var (app, http) = await StartFrontAsync();
        await using var _ = app;
        using var __ = http;
        var body = new JsonObject { ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["seed"] = 32, ["n"] = 2, ["max_tokens"] = 50 };
        var direct = await HttpJson.PostAsync(fixture.Http, "v1/completions", body.DeepClone());
        body["stream"] = true;
        var (status, text) = await HttpJson.PostRawAsync(http, "v1/completions", body.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        var choices = Sse.Parse(text).SelectMany(e => e.GetProperty("choices").EnumerateArray()).ToList();
        for (int i = 0; i < 2; i++)
        {
            var mine = choices.Where(c => c.GetProperty("index").GetInt32() == i).Select(c => c.GetProperty("text").GetString()!).ToList();
            Assert.Equal(direct.Body.GetProperty("choices")[i].GetProperty("text").GetString(), string.Concat(mine));
            Assert.True(mine.Count(t => t.Length > 0) > 1, $"choice {i} came through the front in one piece");
        }
    }

    [Fact]
    public async Task A_strategy_in_the_front_server_returns_the_in_process_answer()
    {
        var (app, http) = await StartFrontAsync();
        await using var _ = app;
        using var __ = http;
        var (status, body) = await HttpJson.PostAsync(http, "v1/completions", new JsonObject
        {
            ["model"] = "arithmetic-policy+self-consistency-8", ["prompt"] = Prompt, ["seed"] = 12, ["max_tokens"] = 80,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var direct = await Scale.With(fixture.Sampler).Extractor(LastLineAnswerExtractor.Default).Sampling(new SamplingOptions { Seed = 12, MaxNewTokens = 80 }).SelfConsistency(8).SolveAsync(Prompt);
        var tts = body.GetProperty("test_time_scaling");
        Assert.Equal(direct.Answer, tts.GetProperty("answer").GetString());
        Assert.Equal(8, tts.GetProperty("candidates").GetInt32());
        Assert.Equal(direct.Usage.GeneratedTokens, tts.GetProperty("usage").GetProperty("generated_tokens").GetInt64());
    }
}
