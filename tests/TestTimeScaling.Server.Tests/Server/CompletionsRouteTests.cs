using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Server.Tests;

/// <summary><c>/v1/models</c> and <c>/v1/completions</c> over real HTTP, compared with the library in process.</summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class CompletionsRouteTests(EmbeddedServerFixture fixture)
{
    private const string Prompt = "Q: 17 +8 *3 -12\n";

    [Fact]
    public async Task Models_lists_the_policy_and_the_reward_model()
    {
        var body = JsonDocument.Parse(await fixture.Http.GetStringAsync("v1/models")).RootElement;
        Assert.Equal("list", body.GetProperty("object").GetString());
        var ids = body.GetProperty("data").EnumerateArray().Select(m => m.GetProperty("id").GetString()).ToList();
        Assert.Equal(["arithmetic-policy", "arithmetic-prm"], ids);
        Assert.All(body.GetProperty("data").EnumerateArray(), m => Assert.Equal("model", m.GetProperty("object").GetString()));
    }

    [Fact]
    public async Task Seeded_completion_equals_the_engine_in_process()
    {
        var (status, body) = await HttpJson.PostAsync(fixture.Http, "v1/completions", new JsonObject
        {
            ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["n"] = 3, ["seed"] = 11, ["temperature"] = 0.9, ["max_tokens"] = 60,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var texts = body.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToList();

        var direct = await fixture.Sampler.SampleAsync(new SampleRequest
        {
            Prompt = Prompt, N = 3, Options = new SamplingOptions { Seed = 11, Temperature = 0.9, MaxNewTokens = 60 },
        });
        Assert.Equal(direct.Completions.Select(c => (string?)c.Text).ToList(), texts);

        var usage = body.GetProperty("usage");
        Assert.Equal(fixture.Sampler.CountTokens(Prompt) + 1, usage.GetProperty("prompt_tokens").GetInt32()); // + BOS
        Assert.Equal(direct.Completions.Sum(c => c.GeneratedTokens), usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal("text_completion", body.GetProperty("object").GetString());
    }

    [Fact]
    public async Task Logprobs_cover_every_generated_token()
    {
        var (status, body) = await HttpJson.PostAsync(fixture.Http, "v1/completions", new JsonObject
        {
            ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["seed"] = 5, ["logprobs"] = 1, ["max_tokens"] = 8,
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var choice = body.GetProperty("choices")[0];
        var logprobs = choice.GetProperty("logprobs");
        var tokens = logprobs.GetProperty("tokens").EnumerateArray().Select(t => t.GetString()).ToList();
        Assert.Equal(8, tokens.Count);
        Assert.Equal(choice.GetProperty("text").GetString(), string.Concat(tokens));
        Assert.All(logprobs.GetProperty("token_logprobs").EnumerateArray(), lp => Assert.True(lp.GetDouble() <= 0));
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
    }

    [Fact]
    public async Task Strategy_in_the_body_returns_the_in_process_answer_and_a_summary()
    {
        var (status, body) = await HttpJson.PostAsync(fixture.Http, "v1/completions", new JsonObject
        {
            ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["seed"] = 7, ["temperature"] = 0.8,
            ["test_time_scaling"] = new JsonObject { ["strategy"] = "self-consistency", ["n"] = 8 },
        });
        Assert.Equal(HttpStatusCode.OK, status);

        // The server's default max_tokens: min(256, context 256 - 17 prompt tokens) = 239.
        var direct = await Scale.With(fixture.Sampler).Extractor(LastLineAnswerExtractor.Default).Sampling(new SamplingOptions { Seed = 7, Temperature = 0.8, MaxNewTokens = 239 })
            .SelfConsistency(8).SolveAsync(Prompt);
        var tts = body.GetProperty("test_time_scaling");
        Assert.Equal(direct.Answer, tts.GetProperty("answer").GetString());
        Assert.Equal(direct.Chosen!.Text, body.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("self-consistency", tts.GetProperty("strategy").GetString());
        Assert.Equal(8, tts.GetProperty("candidates").GetInt32());
        Assert.Equal(8, tts.GetProperty("budget").GetProperty("max_samples").GetInt32());
        Assert.Equal(direct.Usage.GeneratedTokens, tts.GetProperty("usage").GetProperty("generated_tokens").GetInt64());
        Assert.Equal(direct.Usage.GeneratedTokens, body.GetProperty("usage").GetProperty("completion_tokens").GetInt64());
    }

    [Fact]
    public async Task Model_suffix_and_body_field_run_the_same_strategy()
    {
        var fromSuffix = await HttpJson.PostAsync(fixture.Http, "v1/completions", new JsonObject
        {
            ["model"] = "arithmetic-policy+self-consistency-6", ["prompt"] = Prompt, ["seed"] = 21,
        });
        var fromBody = await HttpJson.PostAsync(fixture.Http, "v1/completions", new JsonObject
        {
            ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["seed"] = 21,
            ["test_time_scaling"] = new JsonObject { ["strategy"] = "self-consistency", ["n"] = 6 },
        });
        Assert.Equal(HttpStatusCode.OK, fromSuffix.Status);
        Assert.Equal("arithmetic-policy+self-consistency-6", fromSuffix.Body.GetProperty("model").GetString());
        Assert.Equal(fromBody.Body.GetProperty("choices")[0].GetProperty("text").GetString(), fromSuffix.Body.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(6, fromSuffix.Body.GetProperty("test_time_scaling").GetProperty("candidates").GetInt32());
    }

    [Fact]
    public async Task Beam_search_under_the_served_reward_model_uses_the_verifier()
    {
        var (status, body) = await HttpJson.PostAsync(fixture.Http, "v1/completions", new JsonObject
        {
            ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["seed"] = 3, ["temperature"] = 0.8,
            ["test_time_scaling"] = new JsonObject { ["strategy"] = "beam-search", ["n"] = 2, ["expansions"] = 2 },
        });
        Assert.Equal(HttpStatusCode.OK, status);
        var direct = await Scale.With(fixture.Sampler).Extractor(LastLineAnswerExtractor.Default).Verifier(fixture.Verifier).Sampling(new SamplingOptions { Seed = 3, Temperature = 0.8, MaxNewTokens = 239 })
            .BeamSearch(2, 2).SolveAsync(Prompt);
        var tts = body.GetProperty("test_time_scaling");
        Assert.True(tts.GetProperty("usage").GetProperty("verifier_calls").GetInt64() > 0);
        Assert.Equal(direct.Answer, tts.GetProperty("answer").GetString());
        Assert.Equal(direct.Usage.VerifierCalls, tts.GetProperty("usage").GetProperty("verifier_calls").GetInt64());
    }

    [Fact]
    public async Task Streaming_sends_the_same_text_as_events_and_ends_with_done()
    {
        var request = new JsonObject { ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["seed"] = 9, ["n"] = 2 };
        var plain = await HttpJson.PostAsync(fixture.Http, "v1/completions", request.DeepClone());
        request["stream"] = true;
        request["stream_options"] = new JsonObject { ["include_usage"] = true };
        var (status, text) = await HttpJson.PostRawAsync(fixture.Http, "v1/completions", request.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        var events = Sse.Parse(text);
        for (int i = 0; i < 2; i++)
        {
            string streamed = string.Concat(events.SelectMany(e => e.GetProperty("choices").EnumerateArray())
                .Where(c => c.GetProperty("index").GetInt32() == i).Select(c => c.GetProperty("text").GetString()));
            Assert.Equal(plain.Body.GetProperty("choices")[i].GetProperty("text").GetString(), streamed);
        }
        Assert.Equal(2, events.SelectMany(e => e.GetProperty("choices").EnumerateArray()).Count(c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.String));
        Assert.Equal(plain.Body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), events[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task A_plain_stream_sends_each_choice_in_pieces_while_a_strategy_sends_its_answer_whole()
    {
        var plain = new JsonObject { ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["seed"] = 11, ["n"] = 2, ["max_tokens"] = 40, ["stream"] = true };
        var (status, text) = await HttpJson.PostRawAsync(fixture.Http, "v1/completions", plain.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        var choices = Sse.Parse(text).SelectMany(e => e.GetProperty("choices").EnumerateArray()).ToList();
        for (int i = 0; i < 2; i++)
            Assert.True(choices.Count(c => c.GetProperty("index").GetInt32() == i && c.GetProperty("text").GetString()!.Length > 0) > 1, $"choice {i} came in one piece");

        var scaled = new JsonObject { ["model"] = "arithmetic-policy+self-consistency-4", ["prompt"] = Prompt, ["seed"] = 11, ["stream"] = true };
        (status, text) = await HttpJson.PostRawAsync(fixture.Http, "v1/completions", scaled.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Single(Sse.Parse(text).SelectMany(e => e.GetProperty("choices").EnumerateArray()), c => c.GetProperty("text").GetString()!.Length > 0);
    }

    [Fact]
    public async Task A_stream_with_logprobs_sends_every_token_once_as_the_unstreamed_answer_has_them()
    {
        var request = new JsonObject { ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["seed"] = 12, ["n"] = 2, ["max_tokens"] = 30, ["logprobs"] = 1 };
        var plain = await HttpJson.PostAsync(fixture.Http, "v1/completions", request.DeepClone());
        request["stream"] = true;
        var (status, text) = await HttpJson.PostRawAsync(fixture.Http, "v1/completions", request.ToJsonString());
        Assert.Equal(HttpStatusCode.OK, status);
        var choices = Sse.Parse(text).SelectMany(e => e.GetProperty("choices").EnumerateArray()).ToList();
        for (int i = 0; i < 2; i++)
        {
            var expected = plain.Body.GetProperty("choices")[i].GetProperty("logprobs");
            var mine = choices.Where(c => c.GetProperty("index").GetInt32() == i && c.GetProperty("logprobs").ValueKind == JsonValueKind.Object)
                .Select(c => c.GetProperty("logprobs")).ToList();
            Assert.True(mine.Count > 1, $"choice {i}: logprobs came in {mine.Count} piece(s)");
            foreach (string field in new[] { "tokens", "token_logprobs", "text_offset" })
                Assert.Equal(expected.GetProperty(field).EnumerateArray().Select(v => v.ToString()),
                    mine.SelectMany(m => m.GetProperty(field).EnumerateArray()).Select(v => v.ToString()));
        }
    }

    [Fact]
    public async Task A_refused_streamed_request_gets_its_error_status_not_a_stream()
    {
        var request = new JsonObject { ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["max_tokens"] = 100000, ["stream"] = true };
        var (status, text) = await HttpJson.PostRawAsync(fixture.Http, "v1/completions", request.ToJsonString());
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("error", text);
    }

    [Fact]
    public async Task Concurrent_requests_return_what_each_returns_alone()
    {
        int[] seeds = [101, 102, 103, 104, 105, 106];
        JsonObject Body(int seed) => new() { ["model"] = "arithmetic-policy", ["prompt"] = Prompt, ["seed"] = seed, ["n"] = 2, ["max_tokens"] = 40 };

        var together = await Task.WhenAll(seeds.Select(s => HttpJson.PostAsync(fixture.Http, "v1/completions", Body(s))));
        foreach (var (seed, response) in seeds.Zip(together))
        {
            Assert.Equal(HttpStatusCode.OK, response.Status);
            var alone = await HttpJson.PostAsync(fixture.Http, "v1/completions", Body(seed));
            Assert.Equal(Texts(alone.Body), Texts(response.Body));
        }
        Assert.NotEqual(Texts(together[0].Body), Texts(together[1].Body));

        static List<string?> Texts(JsonElement body) => body.GetProperty("choices").EnumerateArray().Select(c => c.GetProperty("text").GetString()).ToList();
    }
}
