using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;
using TestTimeScaling.OpenAI.Tests.Infrastructure;

namespace TestTimeScaling.OpenAI.Tests.Verification;

/// <summary>The pooling PRM verifier against vLLM-shaped answers on loopback, and the LLM judge over both routes.</summary>
public sealed class VerifierTests
{
    private static readonly Problem Problem = new("Q: 2 +3\n");

    [Fact]
    public async Task One_row_per_step_is_read_directly_with_softmax_over_logits()
    {
        // vLLM STEP pooling: one row of two class logits per step.
        await using var server = await LoopbackServer.StartAsync((ctx, r) =>
        {
            var input = (string)r.Body!["input"]!;
            int steps = input.Split("<extra_0>").Length - 1;
            var rows = new JsonArray(Enumerable.Range(0, steps).Select(i => (JsonNode)new JsonArray(0.0, i * 2.0)).ToArray());
            return ScriptedUpstream.WriteJsonAsync(ctx, 200, new JsonObject { ["data"] = new JsonArray(new JsonObject { ["index"] = 0, ["data"] = rows }) });
        });
        using var http = new HttpClient();
        var verifier = new PoolingProcessVerifier(http, new PoolingProcessVerifierOptions
        {
            Endpoint = server.BaseAddress, Model = "prm", StepSeparator = "<extra_0>", Aggregation = StepAggregation.Min,
            InputTemplate = (p, steps) => $"<system>{p.Prompt}</system>{steps}",
        });

        var scores = await verifier.ScoreAsync(Problem, ["2 + 3 = 5\nA: 5", "\n\n"]);

        Assert.Equal([0.5, 1 / (1 + Math.Exp(-2))], scores[0].StepScores!);
        Assert.Equal(0.5, scores[0].Value, 12);
        Assert.Empty(scores[1].StepScores!); // no steps: nothing asked
        Assert.Equal(1, server.RequestCount);
        Assert.Equal("<system>Q: 2 +3\n</system>2 + 3 = 5<extra_0>A: 5<extra_0>", (string)server.Requests.Single().Body!["input"]!);
    }

    [Fact]
    public async Task One_row_per_token_is_read_at_the_separator_token_after_the_prompt()
    {
        // ALL pooling: one probability row per token; the scripted tokenizer is one char per token.
        await using var server = await LoopbackServer.StartAsync((ctx, r) =>
        {
            if (r.Path == "/tokenize")
            {
                var text = (string)r.Body!["prompt"]!;
                return ScriptedUpstream.WriteJsonAsync(ctx, 200, new JsonObject { ["tokens"] = new JsonArray(text.Select(c => (JsonNode)(int)c).ToArray()) });
            }
            var input = (string)r.Body!["input"]!;
            // Probability of "good" = 0.9 at each newline after "=" lines, 0.2 elsewhere.
            var rows = input.Select((c, i) => (JsonNode)new JsonArray(c == '\n' && input[..i].Contains('=') ? 0.9 : 0.2)).ToArray();
            return ScriptedUpstream.WriteJsonAsync(ctx, 200, new JsonObject { ["data"] = new JsonArray(new JsonObject { ["data"] = new JsonArray(rows) }) });
        });
        using var http = new HttpClient();
        var verifier = new PoolingProcessVerifier(http, new PoolingProcessVerifierOptions { Endpoint = server.BaseAddress, Model = "prm" });

        var score = (await verifier.ScoreAsync(Problem, ["2 + 3 = 5\nA: 5"])).Single();

        Assert.Equal([0.9, 0.9], score.StepScores!); // the prompt's own newline is not a step
        Assert.Equal(0.9, score.Value);
    }

    [Fact]
    public async Task A_pooling_answer_it_cannot_read_names_the_field()
    {
        await using var server = await LoopbackServer.StartAsync((ctx, _) =>
            ScriptedUpstream.WriteJsonAsync(ctx, 200, new JsonObject { ["data"] = new JsonArray(new JsonObject { ["data"] = new JsonArray("x") }) }));
        using var http = new HttpClient();
        var verifier = new PoolingProcessVerifier(http, new PoolingProcessVerifierOptions { Endpoint = server.BaseAddress, Model = "prm", StepSeparator = "<s>" });

        var e = await Assert.ThrowsAsync<OpenAICompatibleServerException>(() => verifier.ScoreAsync(Problem, ["one step"]));
        Assert.Equal("data[0].data[0]", e.Field);
    }

    [Fact]
    public async Task The_judge_over_a_sampler_turns_the_verdict_logprob_into_a_probability()
    {
        var upstream = new ScriptedUpstream { Script = (prompt, _, _) => prompt.Contains("= 5") ? "Yes" : "No" };
        await using var server = await LoopbackServer.StartAsync(upstream.HandleAsync);
        using var http = new HttpClient();
        var judge = new ChatJudgeVerifier(new OpenAICompatibleSampler(http, new OpenAICompatibleSamplerOptions { Endpoint = server.V1, Model = "judge" }));

        var scores = await judge.ScoreAsync(Problem, ["2 + 3 = 5\nA: 5", "2 + 3 = 6\nA: 6"]);

        double pYes = Math.Exp(ScriptedUpstream.Logprob('Y'));
        double pNo = Math.Exp(ScriptedUpstream.Logprob('N'));
        Assert.Equal(pYes, scores[0].Value, 5);
        Assert.Equal(1 - pNo, scores[1].Value, 5);
        var body = server.Requests.First().Body!;
        Assert.Equal(0.0, (double)body["temperature"]!);
        Assert.Contains("Proposed solution:\n2 + 3 = ", (string)body["prompt"]!);
    }

    [Theory]
    [InlineData(JudgeVerdict.YesNo, "Yes, it is right.", 1.0)]
    [InlineData(JudgeVerdict.YesNo, "no", 0.0)]
    [InlineData(JudgeVerdict.YesNo, "I cannot tell", 0.5)]
    [InlineData(JudgeVerdict.Score, "7", 0.7)]
    [InlineData(JudgeVerdict.Score, "Score: 12 of 10", 1.0)]
    [InlineData(JudgeVerdict.Score, "none", 0.5)]
    public async Task The_judge_over_a_chat_client_reads_the_verdict_from_text(JudgeVerdict verdict, string reply, double expected)
    {
        var judge = new ChatJudgeVerifier(new ReplyingChatClient(reply), new ChatJudgeVerifierOptions { Verdict = verdict });
        var score = (await judge.ScoreAsync(Problem, ["2 + 3 = 5\nA: 5"])).Single();
        Assert.Equal(expected, score.Value, 6);
        Assert.NotNull(score.Feedback);
    }

    private sealed class ReplyingChatClient(string reply) : IChatClient
    {
        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            Assert.Equal(0f, options!.Temperature);
            return Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, reply)));
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }
}
