using System.Net;
using System.Text;

namespace TestTimeScaling.OpenAI.Tests.Faults;

/// <summary>
/// Shapes a real server would not produce, answered by a canned handler: each is a specific exception naming the field.
/// </summary>
public sealed class MalformedResponseTests
{
    private sealed class CannedHandler(string body, HttpStatusCode status = HttpStatusCode.OK) : HttpMessageHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken) =>
            Task.FromResult(new HttpResponseMessage(status) { Content = new StringContent(body, Encoding.UTF8, "application/json") });
    }

    [Theory]
    [InlineData("""{"choices":[{"index":5,"text":"a","finish_reason":"stop"}]}""", "choices[0].index")]
    [InlineData("""{"choices":[{"index":0,"text":7,"finish_reason":"stop"}]}""", "choices[0].text")]
    [InlineData("""{"choices":[{"index":0,"text":"a"}]}""", "choices[0].finish_reason")]
    [InlineData("""{"choices":{"index":0}}""", "choices")]
    [InlineData("""{"id":"x"}""", "choices")]
    [InlineData("""[1,2]""", "$")]
    [InlineData("""{"choices":[{"index":0,"text":"ab","finish_reason":"stop","logprobs":{"tokens":["a"],"token_logprobs":[-1,-2]}}]}""", "choices[0].logprobs.tokens")]
    [InlineData("""{"choices":[{"index":0,"text":"a","finish_reason":"stop","logprobs":{"token_logprobs":[{}]}}]}""", "choices[0].logprobs.token_logprobs[0]")]
    [InlineData("""{"choices":[{"index":0,"text":"a","finish_reason":"stop"}],"usage":{"completion_tokens":-3}}""", "usage.completion_tokens")]
    [InlineData("""{"error":{"message":"model crashed"},"choices":[]}""", "error")]
    public async Task Each_malformed_shape_names_its_field(string body, string field)
    {
        using var http = new HttpClient(new CannedHandler(body));
        var sampler = new OpenAICompatibleSampler(http, new OpenAICompatibleSamplerOptions
        {
            Endpoint = new Uri("http://upstream.test/v1/"), Model = "m", TokenCounting = TokenCounting.Estimate,
        });

        var e = await Assert.ThrowsAsync<OpenAICompatibleServerException>(() => sampler.SampleAsync(new SampleRequest { Prompt = "P" }));

        Assert.Equal(field, e.Field);
        Assert.Equal(HttpStatusCode.OK, e.StatusCode);
        Assert.Contains("http://upstream.test/v1/completions", e.Message);
        Assert.Contains("model 'm'", e.Message);
    }

    [Fact]
    public async Task Null_and_infinite_logprobs_are_read_as_negative_infinity()
    {
        using var http = new HttpClient(new CannedHandler("""{"choices":[{"index":0,"text":"ab","finish_reason":"length","logprobs":{"tokens":["a","b"],"token_logprobs":[null,"-Infinity"]}}]}"""));
        var sampler = new OpenAICompatibleSampler(http, new OpenAICompatibleSamplerOptions { Endpoint = new Uri("http://upstream.test/v1/"), Model = "m", TokenCounting = TokenCounting.Estimate });

        var c = (await sampler.SampleAsync(new SampleRequest { Prompt = "P" })).Completions.Single();

        Assert.Equal([float.NegativeInfinity, float.NegativeInfinity], c.Logprobs!);
        Assert.Equal(FinishReason.Length, c.FinishReason);
        Assert.Equal([-1, -1], c.TokenIds); // texts, not ids: the count is known, the ids are not
    }
}
