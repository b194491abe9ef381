using System.Text.Json.Nodes;
using TestTimeScaling.OpenAI.Tests.Infrastructure;

namespace TestTimeScaling.OpenAI.Tests.Sampling;

/// <summary>The sampler's contract over real HTTP against a vLLM-shaped scripted upstream on loopback.</summary>
public sealed class CompletionsSamplerTests
{
    private static OpenAICompatibleSamplerOptions Options(LoopbackServer server) => new()
    {
        Endpoint = server.V1, Model = "scripted", ApiKey = "secret-key", MaxRowsPerRequest = 4, MaxConcurrentRequests = 3,
    };

    private static async Task<(LoopbackServer Server, ScriptedUpstream Upstream)> StartAsync(ScriptedUpstream? upstream = null)
    {
        upstream ??= new ScriptedUpstream();
        return (await LoopbackServer.StartAsync(upstream.HandleAsync), upstream);
    }

    [Fact]
    public async Task Rows_come_back_prefix_major_with_text_logprobs_ids_and_usage()
    {
        var (server, upstream) = await StartAsync();
        await using var _ = server;
        using var http = new HttpClient();
        var sampler = new OpenAICompatibleSampler(http, Options(server) with { RequestTokenIds = true });

        var result = await sampler.SampleAsync(new SampleRequest
        {
            Prompt = "Q: 3^k\n", Prefixes = ["", "1 * 3 = 3\n"], N = 3,
            Options = new SamplingOptions { Seed = 5, MaxNewTokens = 200 },
        });

        Assert.Equal(6, result.Completions.Count);
        Assert.Equal([0, 0, 0, 1, 1, 1], result.Completions.Select(c => c.PrefixIndex));
        for (int i = 0; i < 6; i++)
        {
            var c = result.Completions[i];
            var prefix = i < 3 ? "" : "1 * 3 = 3\n";
            Assert.Equal(ScriptedUpstream.DefaultScript("Q: 3^k\n" + prefix, 5, i % 3), c.Text);
            Assert.Equal(c.Text.Select(ch => (int)ch), c.TokenIds);
            Assert.Equal(c.Text.Select(ScriptedUpstream.Logprob), c.Logprobs!);
            Assert.Equal(FinishReason.Stop, c.FinishReason);
        }
        Assert.Equal(upstream.GeneratedTokens, result.Usage.GeneratedTokens);
        Assert.Equal(upstream.PromptTokens, result.Usage.PromptTokens);
        Assert.False(result.Usage.TokensEstimated);

        // Two prefixes of n=3 within MaxRowsPerRequest=4: one request each, with the caller's key and seed.
        Assert.Equal(2, server.RequestCount);
        Assert.All(server.Requests, r => Assert.Equal("Bearer secret-key", r.Headers["Authorization"]));
        Assert.All(server.Requests, r => Assert.Equal(5L, (long)r.Body!["seed"]!));
        Assert.All(server.Requests, r => Assert.Equal(3, (int)r.Body!["n"]!));
    }

    [Fact]
    public async Task Rows_beyond_the_per_request_limit_are_split_with_distinct_seeds_within_the_in_flight_limit()
    {
        var upstream = new ScriptedUpstream { Script = (p, seed, row) => $"seed {seed} row {row}" };
        var (server, _) = await StartAsync(upstream);
        await using var __ = server;
        using var http = new HttpClient();
        var sampler = new OpenAICompatibleSampler(http, Options(server) with { MaxRowsPerRequest = 2, MaxConcurrentRequests = 2 });

        var result = await sampler.SampleAsync(new SampleRequest
        {
            Prompt = "P", Prefixes = ["a", "b", "c"], N = 5, Options = new SamplingOptions { Seed = 11, MaxNewTokens = 64 },
        });

        Assert.Equal(15, result.Completions.Count);
        Assert.Equal(9, server.RequestCount); // 3 prefixes x (2 + 2 + 1)
        Assert.True(server.MaxInFlight <= 2, $"{server.MaxInFlight} requests were in flight at once");
        // No two rows of a prefix are the same sample: each chunk carried its own seed.
        foreach (var group in result.Completions.GroupBy(c => c.PrefixIndex))
            Assert.Equal(5, group.Select(c => c.Text).Distinct().Count());
        Assert.Equal([5, 5, 5], result.Completions.GroupBy(c => c.PrefixIndex).Select(g => g.Count()));
    }

    [Fact]
    public async Task Sampling_fields_stops_and_additional_fields_reach_the_server()
    {
        var (server, _) = await StartAsync();
        await using var __ = server;
        using var http = new HttpClient();
        var sampler = new OpenAICompatibleSampler(http, Options(server) with
        {
            AdditionalRequestFields = new Dictionary<string, object?> { ["repetition_penalty"] = 1.1, ["top_k"] = 7 },
        });

        await sampler.SampleAsync(new SampleRequest
        {
            Prompt = "P", Options = new SamplingOptions
            {
                Temperature = 0.7, TopP = 0.9, TopK = 20, MinP = 0.05, MaxNewTokens = 9, Seed = 3,
                StopSequences = ["STOP"], StepDelimiter = "\n",
            },
        });

        var body = server.Requests.Single().Body!.AsObject();
        Assert.Equal("scripted", (string)body["model"]!);
        Assert.Equal("P", (string)body["prompt"]!);
        Assert.Equal(0.7, (double)body["temperature"]!);
        Assert.Equal(0.9, (double)body["top_p"]!);
        Assert.Equal(7, (int)body["top_k"]!); // the additional field wins
        Assert.Equal(0.05, (double)body["min_p"]!);
        Assert.Equal(9, (int)body["max_tokens"]!);
        Assert.Equal(["STOP", "\n"], body["stop"]!.AsArray().Select(x => (string)x!));
        Assert.Equal(1.1, (double)body["repetition_penalty"]!);
        Assert.Equal(0, (int)body["logprobs"]!);
        Assert.False(body.ContainsKey("stream"));
    }

    [Fact]
    public async Task Step_delimiter_is_put_back_and_reported_as_a_step_boundary_while_other_stops_and_length_are_not()
    {
        var (server, _) = await StartAsync();
        await using var __ = server;
        using var http = new HttpClient();
        var sampler = new OpenAICompatibleSampler(http, Options(server));
        var stepwise = new SamplingOptions { Seed = 1, MaxNewTokens = 100, StepDelimiter = "\n" };

        var step = (await sampler.SampleAsync(new SampleRequest { Prompt = "P", Options = stepwise })).Completions.Single();
        Assert.Equal("1 * 3 = 3\n", step.Text);
        Assert.Equal(FinishReason.StepBoundary, step.FinishReason);
        // Tokens and logprobs are the server's (this one leaves the stop string out of logprobs); usage counts the delimiter.
        Assert.Equal(step.Text.Length - 1, step.GeneratedTokens);

        var stopped = (await sampler.SampleAsync(new SampleRequest { Prompt = "P", Options = stepwise with { StopSequences = ["*"] } })).Completions.Single();
        Assert.Equal("1 ", stopped.Text);
        Assert.Equal(FinishReason.Stop, stopped.FinishReason);

        var cut = (await sampler.SampleAsync(new SampleRequest { Prompt = "P", Options = stepwise with { MaxNewTokens = 4 } })).Completions.Single();
        Assert.Equal("1 * ", cut.Text);
        Assert.Equal(FinishReason.Length, cut.FinishReason);

        var last = (await sampler.SampleAsync(new SampleRequest
        {
            Prompt = "P", Prefixes = ["1 * 3 = 3\n2 * 3 = 9\n"], Options = stepwise with { Seed = 0 },
        })).Completions.Single();
        Assert.Equal(FinishReason.StepBoundary, last.FinishReason);
    }

    [Fact]
    public async Task Without_a_stop_reason_the_step_boundary_is_inferred_and_an_answer_line_ends_as_a_stop()
    {
        // llama.cpp/Ollama shape: no stop_reason. A row that stops before its end is read as a step boundary; the
        // final "A: ..." line (end of sequence) leaves nothing unsaid only when another stop string explains it.
        var upstream = new ScriptedUpstream { ReportStopReason = false, Script = (_, _, _) => "1 + 1 = 2\nA: 2" };
        var (server, _) = await StartAsync(upstream);
        await using var __ = server;
        using var http = new HttpClient();
        var sampler = new OpenAICompatibleSampler(http, Options(server) with { SupportsLogprobs = false });

        var first = (await sampler.SampleAsync(new SampleRequest { Prompt = "P", Options = new SamplingOptions { StepDelimiter = "\n", MaxNewTokens = 50 } })).Completions.Single();
        Assert.Equal("1 + 1 = 2\n", first.Text);
        Assert.Equal(FinishReason.StepBoundary, first.FinishReason);
        Assert.Null(first.Logprobs);
        Assert.Equal(10, first.GeneratedTokens); // n = 1: the server's completion_tokens
    }

    [Fact]
    public async Task Stop_after_finished_streams_and_abandons_the_rest_charging_only_what_was_generated()
    {
        // Row lengths differ; the upstream streams a token per row every 20 ms.
        var upstream = new ScriptedUpstream { ChunkDelay = TimeSpan.FromMilliseconds(20) };
        var (server, _) = await StartAsync(upstream);
        await using var __ = server;
        using var http = new HttpClient();
        var sampler = new OpenAICompatibleSampler(http, Options(server) with { MaxRowsPerRequest = 8 });

        var result = await sampler.SampleAsync(new SampleRequest
        {
            Prompt = "Q", N = 8, StopAfterFinished = 2, Options = new SamplingOptions { Seed = 2, MaxNewTokens = 400 },
        });

        var full = Enumerable.Range(0, 8).Select(r => ScriptedUpstream.DefaultScript("Q", 2, r)).ToList();
        Assert.Equal(8, result.Completions.Count);
        var finished = result.Completions.Where(c => c.FinishReason == FinishReason.Stop).ToList();
        Assert.InRange(finished.Count, 2, 7);
        Assert.Contains(result.Completions, c => c.FinishReason == FinishReason.Abandoned);
        for (int r = 0; r < 8; r++)
        {
            var c = result.Completions[r];
            Assert.StartsWith(c.Text, full[r]);
            if (c.FinishReason == FinishReason.Stop) Assert.Equal(full[r], c.Text);
            Assert.Equal(c.Text.Length, c.GeneratedTokens);
        }
        // Finished rows are the shortest ones, and the call charged what streamed, far less than the full rows.
        Assert.True(finished.Max(c => c.Text.Length) <= full.Order().Skip(finished.Count - 1).First().Length);
        Assert.Equal(result.Completions.Sum(c => c.GeneratedTokens), result.Usage.GeneratedTokens);
        Assert.True(result.Usage.GeneratedTokens < full.Sum(f => f.Length));
        Assert.True(result.Usage.GeneratedTokens <= upstream.GeneratedTokens);
        var streamed = server.Requests.Single(r => r.Path == "/v1/completions").Body!;
        Assert.True((bool)streamed["stream"]!);
    }

    [Fact]
    public async Task Token_counting_uses_the_tokenizer_else_the_tokenize_endpoint_else_an_estimate()
    {
        var (server, _) = await StartAsync();
        await using var __ = server;
        using var http = new HttpClient();

        var local = new OpenAICompatibleSampler(http, Options(server) with { Tokenizer = s => 1000 + s.Length });
        Assert.Equal(1005, local.CountTokens("hello"));
        Assert.Equal(0, server.RequestCount);

        var remote = new OpenAICompatibleSampler(http, Options(server));
        Assert.Equal(11, remote.CountTokens("hello world"));
        Assert.Equal((11, false), await remote.CountTokensAsync("hello world")); // cached
        Assert.Equal(1, server.RequestCount);
        Assert.Equal("/tokenize", server.Requests.Single().Path);

        var estimate = new OpenAICompatibleSampler(http, Options(server) with { TokenCounting = TokenCounting.Estimate, CharactersPerTokenEstimate = 4 });
        Assert.Equal((3, true), await estimate.CountTokensAsync("0123456789"));
    }

    [Fact]
    public async Task A_server_without_tokenize_falls_back_to_an_estimate_marked_in_usage()
    {
        // Ollama/OpenAI shape: no /tokenize, no logprobs, n > 1 answered without per-row counts.
        var upstream = new ScriptedUpstream { Script = (_, _, r) => new string('x', 8 * (r + 1)) };
        await using var server = await LoopbackServer.StartAsync((ctx, req) =>
            req.Path == "/tokenize" ? ScriptedUpstream.WriteJsonAsync(ctx, 404, new JsonObject()) : upstream.HandleAsync(ctx, req));
        using var http = new HttpClient();
        var sampler = new OpenAICompatibleSampler(http, Options(server) with { SupportsLogprobs = false, CharactersPerTokenEstimate = 4 });

        var result = await sampler.SampleAsync(new SampleRequest { Prompt = "P", N = 2, Options = new SamplingOptions { MaxNewTokens = 100 } });

        Assert.Equal([2, 4], result.Completions.Select(c => c.GeneratedTokens));
        Assert.True(result.Usage.TokensEstimated);
        Assert.Equal(24, result.Usage.GeneratedTokens); // the server's own total still wins for the usage
    }

    [Fact]
    public async Task Capabilities_tell_the_truth_about_the_options()
    {
        using var http = new HttpClient();
        var sampler = new OpenAICompatibleSampler(http, new OpenAICompatibleSamplerOptions
        {
            Endpoint = new Uri("http://127.0.0.1:1/v1"), Model = "m", SupportsLogprobs = false, StreamForStopAfterFinished = false,
            ServerCachesPrefixes = true, ContextLength = 4096,
        });
        Assert.False(sampler.Capabilities.Logprobs);
        Assert.False(sampler.Capabilities.StopAfterFinished);
        Assert.True(sampler.Capabilities.StepDelimiter);
        Assert.True(sampler.Capabilities.SharesPrefixComputation);
        Assert.Equal(4096, sampler.Capabilities.ContextLength);
        Assert.Equal(new Uri("http://127.0.0.1:1/v1/completions"), sampler.CompletionsUri);
        await Task.CompletedTask;
    }

    [Theory]
    [InlineData(null, "m", "Endpoint")]
    [InlineData("ftp://x/v1/", "m", "Endpoint")]
    [InlineData("http://x/v1/", " ", "Model")]
    public void Invalid_options_name_the_setting(string? endpoint, string model, string name)
    {
        var options = new OpenAICompatibleSamplerOptions { Endpoint = endpoint is null ? null : new Uri(endpoint), Model = model };
        var e = Assert.ThrowsAny<ArgumentException>(options.Validate);
        Assert.Equal(name, e.ParamName);
        Assert.Equal("MaxRowsPerRequest", Assert.ThrowsAny<ArgumentException>(() =>
            (new OpenAICompatibleSamplerOptions { Endpoint = new Uri("http://x/v1/"), Model = "m", MaxRowsPerRequest = 0 }).Validate()).ParamName);
        Assert.Equal("Tokenizer", Assert.ThrowsAny<ArgumentException>(() =>
            (new OpenAICompatibleSamplerOptions { Endpoint = new Uri("http://x/v1/"), Model = "m", TokenCounting = TokenCounting.LocalTokenizer }).Validate()).ParamName);
    }
}
