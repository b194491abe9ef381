using System.Net;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Server.Tests;

/// <summary>OpenAI-style errors with the right status over the embedded models.</summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class ErrorTests(EmbeddedServerFixture fixture)
{
    private static JsonObject Completion(Action<JsonObject>? change = null)
    {
        var body = new JsonObject { ["model"] = "arithmetic-policy", ["prompt"] = "Q: 1 +2\n", ["max_tokens"] = 4 };
        change?.Invoke(body);
        return body;
    }

    [Fact]
    public async Task Unknown_model_is_404_naming_it()
    {
        var error = HttpJson.AssertError(HttpStatusCode.NotFound, await HttpJson.PostAsync(fixture.Http, "v1/completions", Completion(b => b["model"] = "ghost")), "model");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }

    [Theory]
    [InlineData("n", "\"three\"")]
    [InlineData("n", "0")]
    [InlineData("temperature", "-1")]
    [InlineData("top_p", "0")]
    [InlineData("max_tokens", "0")]
    [InlineData("stop", "[1]")]
    [InlineData("seed", "1.5")]
    [InlineData("prompt", "42")]
    [InlineData("test_time_scaling.strategy", "{\"strategy\":\"guess\"}")]
    [InlineData("test_time_scaling.n", "{\"strategy\":\"self-consistency\",\"n\":-2}")]
    public async Task Invalid_field_is_400_naming_it(string param, string json)
    {
        string field = param.Split('.')[0];
        var body = Completion(b => b[field] = JsonNode.Parse(json));
        HttpJson.AssertError(HttpStatusCode.BadRequest, await HttpJson.PostAsync(fixture.Http, "v1/completions", body), param);
    }

    [Fact]
    public async Task Malformed_json_and_missing_fields_are_400()
    {
        var (status, text) = await HttpJson.PostRawAsync(fixture.Http, "v1/completions", "{\"model\": ");
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("\"error\"", text);
        HttpJson.AssertError(HttpStatusCode.BadRequest, await HttpJson.PostAsync(fixture.Http, "v1/completions", new JsonObject { ["model"] = "arithmetic-policy" }), "prompt");
        HttpJson.AssertError(HttpStatusCode.BadRequest, await HttpJson.PostAsync(fixture.Http, "v1/chat/completions",
            new JsonObject { ["model"] = "arithmetic-policy", ["messages"] = new JsonArray(new JsonObject { ["role"] = "robot", ["content"] = "x" }) }), "messages[0].role");
    }

    [Fact]
    public async Task Prompt_longer_than_the_context_is_400()
    {
        string longPrompt = "Q: " + string.Concat(Enumerable.Repeat("1 +", 100)) + "1\n";
        var error = HttpJson.AssertError(HttpStatusCode.BadRequest,
            await HttpJson.PostAsync(fixture.Http, "v1/completions", Completion(b => b["prompt"] = longPrompt)), "prompt");
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());

        var tooMany = HttpJson.AssertError(HttpStatusCode.BadRequest,
            await HttpJson.PostAsync(fixture.Http, "v1/completions", Completion(b => b["max_tokens"] = 250)), "max_tokens");
        Assert.Equal("context_length_exceeded", tooMany.GetProperty("code").GetString());
    }

    [Fact]
    public async Task Caps_on_n_and_max_tokens_are_400()
    {
        HttpJson.AssertError(HttpStatusCode.BadRequest, await HttpJson.PostAsync(fixture.Http, "v1/completions", Completion(b => b["n"] = fixture.Options.MaxN + 1)), "n");
        HttpJson.AssertError(HttpStatusCode.BadRequest, await HttpJson.PostAsync(fixture.Http, "v1/completions", Completion(b => b["max_tokens"] = fixture.Options.MaxTokens + 1)), "max_tokens");
        HttpJson.AssertError(HttpStatusCode.BadRequest, await HttpJson.PostAsync(fixture.Http, "v1/completions",
            Completion(b => b["model"] = $"arithmetic-policy+self-consistency-{fixture.Options.MaxN + 1}")), "model");
    }

    [Fact]
    public async Task A_failed_request_leaves_the_server_serving()
    {
        await HttpJson.PostAsync(fixture.Http, "v1/completions", Completion(b => b["n"] = "x"));
        var (status, body) = await HttpJson.PostAsync(fixture.Http, "v1/completions", Completion());
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.InRange(body.GetProperty("usage").GetProperty("completion_tokens").GetInt32(), 1, 4);
    }
}
