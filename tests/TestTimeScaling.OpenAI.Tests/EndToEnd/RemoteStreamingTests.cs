using System.Text.Json.Nodes;
using TestTimeScaling.OpenAI.Tests.Infrastructure;

namespace TestTimeScaling.OpenAI.Tests.EndToEnd;

/// <summary>
/// <see cref="OpenAICompatibleSampler.StreamAsync"/> against the project's own server over loopback: each row's
/// updates add up to what <see cref="OpenAICompatibleSampler.SampleAsync"/> returns for the same request, they
/// arrive in pieces, and a stream that breaks ends in the sampler's specific exception after what arrived.
/// </summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class RemoteStreamingTests(EmbeddedServerFixture fixture)
{
    private const string Prompt = "Q: 17 +8 *3 -12\n";

    public static TheoryData<int> Calls() => new() { 0, 1, 2, 3 };

    private static SampleRequest Call(int i) => i switch
    {
        0 => new() { Prompt = Prompt, N = 3, Options = new() { Seed = 5, Temperature = 0.9, MaxNewTokens = 60, IncludeLogprobs = true } },
        // Step-level: the delimiter is cut by the server and re-appended at a step boundary.
        1 => new() { Prompt = Prompt, N = 2, Options = new() { Seed = 6, Temperature = 0.9, MaxNewTokens = 60, StepDelimiter = "\n", IncludeLogprobs = true } },
        // Two prefixes, split into requests of two rows: updates name rows in the call's prefix-major order.
        2 => new() { Prompt = Prompt, Prefixes = ["", "17 +8 = 25\n"], N = 3, Options = new() { Seed = 7, Temperature = 0.9, MaxNewTokens = 40, IncludeLogprobs = true } },
        _ => new() { Prompt = Prompt, N = 4, Options = new() { Seed = 8, Temperature = 0.9, MaxNewTokens = 30 } },
    };

    [Theory]
    [MemberData(nameof(Calls))]
    public async Task A_streamed_call_adds_up_to_the_call_sampled_whole(int call)
    {
        var sampler = fixture.Sampler(configure: o => o with { MaxRowsPerRequest = 2 });
        var request = Call(call);
        var whole = await sampler.SampleAsync(request);
        var updates = new List<SampleUpdate>();
        await foreach (var update in sampler.StreamAsync(request)) updates.Add(update);

        Assert.Equal(whole.Completions.Count, updates.Select(u => u.Index).Distinct().Count());
        for (int i = 0; i < whole.Completions.Count; i++)
        {
            var expected = whole.Completions[i];
            var mine = updates.Where(u => u.Index == i).ToList();
            Assert.Equal(expected.Text, string.Concat(mine.Select(u => u.Text)));
            Assert.Equal(expected.TokenIds, mine.SelectMany(u => u.TokenIds).ToList());
            if (request.Options.IncludeLogprobs)
            {
                // The server may reuse the first call's cache for the second: equal within float32 rounding.
                var streamed = mine.SelectMany(u => u.Logprobs ?? []).ToList();
                Assert.Equal(expected.Logprobs!.Count, streamed.Count);
                Assert.All(expected.Logprobs.Zip(streamed), p => Assert.True(Math.Abs(p.First - p.Second) <= 1e-5, $"{p.First} whole, {p.Second} streamed"));
            }
            Assert.All(mine, u => Assert.Equal(expected.PrefixIndex, u.PrefixIndex));
            Assert.Single(mine, u => u.FinishReason is not null);
            Assert.Equal(expected.FinishReason, mine[^1].FinishReason);
            // In pieces, not whole: the server streams token by token.
            Assert.True(mine.Count(u => u.Text.Length > 0) > 1, $"row {i} came in {mine.Count(u => u.Text.Length > 0)} piece(s)");
        }
    }

    [Fact]
    public async Task Stop_after_finished_ends_the_other_rows_abandoned_with_what_they_streamed()
    {
        var sampler = fixture.Sampler(configure: o => o with { MaxRowsPerRequest = 8 });
        var request = new SampleRequest { Prompt = Prompt, N = 8, StopAfterFinished = 1, Options = new() { Seed = 21, Temperature = 1, MaxNewTokens = 200 } };
        var whole = await sampler.SampleAsync(request with { StopAfterFinished = null });
        var updates = new List<SampleUpdate>();
        await foreach (var update in sampler.StreamAsync(request)) updates.Add(update);

        var finals = updates.Where(u => u.FinishReason is not null).ToList();
        Assert.Equal(8, finals.Count);
        Assert.Contains(finals, u => u.FinishReason == FinishReason.Abandoned);
        foreach (var last in finals)
        {
            string text = string.Concat(updates.Where(u => u.Index == last.Index).Select(u => u.Text));
            if (last.FinishReason == FinishReason.Abandoned) Assert.StartsWith(text, whole.Completions[last.Index].Text);
            else Assert.Equal(whole.Completions[last.Index].Text, text);
        }
    }

    [Fact]
    public async Task A_stream_cut_short_ends_in_the_samplers_exception_after_what_arrived()
    {
        await using var server = await LoopbackServer.StartAsync(async (ctx, _) =>
        {
            ctx.Response.ContentType = "text/event-stream";
            await ScriptedUpstream.WriteEventAsync(ctx, new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = "ab", ["finish_reason"] = null }) }, default);
            await ScriptedUpstream.WriteEventAsync(ctx, new JsonObject { ["choices"] = new JsonArray(new JsonObject { ["index"] = 0, ["text"] = "c", ["finish_reason"] = null }) }, default);
            // ... and the connection ends without the row finishing or [DONE].
        });
        using var http = new HttpClient();
        var sampler = new OpenAICompatibleSampler(http, new OpenAICompatibleSamplerOptions
        {
            Endpoint = server.V1, Model = "m", SupportsLogprobs = false, TokenCounting = TokenCounting.Estimate, CharactersPerTokenEstimate = 1,
        });
        var updates = new List<SampleUpdate>();
        var error = await Assert.ThrowsAsync<OpenAICompatibleServerException>(async () =>
        {
            await foreach (var update in sampler.StreamAsync(new SampleRequest { Prompt = "Q", Options = new() { Seed = 1, MaxNewTokens = 10 } })) updates.Add(update);
        });
        Assert.Equal("choices[0].finish_reason", error.Field);
        Assert.Equal(["ab", "c", ""], updates.Select(u => u.Text));
        Assert.Equal(FinishReason.Abandoned, updates[^1].FinishReason);
        // Counted when the row ended (one character a token here), as -1 ids.
        Assert.Equal([-1, -1, -1], updates.SelectMany(u => u.TokenIds));
    }
}
