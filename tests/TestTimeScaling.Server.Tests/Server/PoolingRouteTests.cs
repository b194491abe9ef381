using System.Net;
using System.Text.Json.Nodes;
using TestTimeScaling.Torch;

namespace TestTimeScaling.Server.Tests;

/// <summary><c>/pooling</c> and <c>/tokenize</c>: the reward model's per-token output, checked against the in-process verifier.</summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class PoolingRouteTests(EmbeddedServerFixture fixture)
{
    [Fact]
    public async Task Rows_at_the_step_ends_equal_the_process_verifier_step_scores()
    {
        const string prompt = "Q: 17 +8 *3 -12\n";
        const string solution = "17+8=25\n25*3=75\n75-12=63\nA: 63\n";
        var (status, body) = await HttpJson.PostAsync(fixture.Http, "pooling", new JsonObject { ["model"] = "arithmetic-prm", ["input"] = prompt + solution });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("list", body.GetProperty("object").GetString());
        var item = body.GetProperty("data")[0];
        Assert.Equal("pooling", item.GetProperty("object").GetString());
        var rows = item.GetProperty("data").EnumerateArray().Select(r => r[0].GetDouble()).ToList();

        var tokens = fixture.Prm.Tokenizer.Encode(prompt + solution);
        Assert.Equal(tokens.Count + 1, rows.Count); // BOS first
        Assert.Equal(rows.Count, body.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());

        var expected = fixture.Verifier.Score(new Problem(prompt), [solution])[0].StepScores!;
        int promptTokens = fixture.Prm.Tokenizer.Encode(prompt).Count + 1;
        int newline = fixture.Prm.Tokenizer.Encode("\n").Single();
        var stepEnds = Enumerable.Range(0, tokens.Count).Where(i => i + 1 >= promptTokens && tokens[i] == newline).Select(i => i + 1).ToList();
        Assert.Equal(expected.Count, stepEnds.Count);
        for (int s = 0; s < expected.Count; s++) Assert.Equal(expected[s], rows[stepEnds[s]], 5);
    }

    [Fact]
    public async Task Pooling_refuses_a_generative_model_and_tokenize_counts_like_the_tokenizer()
    {
        var refused = await HttpJson.PostAsync(fixture.Http, "pooling", new JsonObject { ["model"] = "arithmetic-policy", ["input"] = "Q: 1 +1\n" });
        HttpJson.AssertError(HttpStatusCode.BadRequest, refused, "model");

        var (status, body) = await HttpJson.PostAsync(fixture.Http, "tokenize", new JsonObject { ["model"] = "arithmetic-prm", ["prompt"] = "\n", ["add_special_tokens"] = false });
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal(fixture.Prm.Tokenizer.Encode("\n").Single(), body.GetProperty("tokens").EnumerateArray().Single().GetInt32());
        Assert.Equal(256, body.GetProperty("max_model_len").GetInt32());
    }
}
