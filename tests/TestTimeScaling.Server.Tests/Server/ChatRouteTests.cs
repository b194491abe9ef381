using System.ClientModel;
using System.Text.Json;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using TestTimeScaling.Extensions.AI;
using AIChatMessage = Microsoft.Extensions.AI.ChatMessage;
using ChatFinishReason = OpenAI.Chat.ChatFinishReason;

namespace TestTimeScaling.Server.Tests;

/// <summary><c>/v1/chat/completions</c> with the official OpenAI SDK and Microsoft.Extensions.AI.OpenAI as clients.</summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class ChatRouteTests(EmbeddedServerFixture fixture)
{
    private const string Prompt = "Q: 17 +8 *3 -12\n";

    private OpenAIClient Client() => new(new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(fixture.BaseAddress, "v1") });

    [Fact]
    public async Task Sdk_chat_at_temperature_zero_equals_greedy_decoding_in_process()
    {
        var chat = Client().GetChatClient("arithmetic-policy");
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(Prompt)], new ChatCompletionOptions { Temperature = 0f, MaxOutputTokenCount = 60 });

        var direct = await fixture.Sampler.SampleAsync(new SampleRequest { Prompt = Prompt, Options = new SamplingOptions { Temperature = 0, MaxNewTokens = 60 } });
        Assert.Equal(direct.Completions[0].Text, completion.Content[0].Text);
        Assert.Equal(ChatFinishReason.Stop, completion.FinishReason);
        Assert.Equal(direct.Completions[0].GeneratedTokens, completion.Usage.OutputTokenCount);
        Assert.Equal("arithmetic-policy", completion.Model);
    }

    [Fact]
    public async Task Sdk_streaming_yields_the_same_text()
    {
        var chat = Client().GetChatClient("arithmetic-policy");
        var options = new ChatCompletionOptions { Temperature = 0.7f, Seed = 4, MaxOutputTokenCount = 60 };
        ChatCompletion whole = await chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);
        var text = new System.Text.StringBuilder();
        ChatFinishReason? finish = null;
        bool finished = false;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(Prompt)], options))
        {
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            if (!finished && update.FinishReason is { } f) { finish = f; finished = true; }
        }
        Assert.Equal(whole.Content[0].Text, text.ToString());
        Assert.Equal(whole.FinishReason, finish);
    }

    [Fact]
    public async Task Sdk_streaming_arrives_token_by_token_and_ends_with_the_usage()
    {
        var chat = Client().GetChatClient("arithmetic-policy");
        var options = new ChatCompletionOptions { Temperature = 0.8f, Seed = 6, MaxOutputTokenCount = 50 };
        ChatCompletion whole = await chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);
        var pieces = new List<string>();
        ChatTokenUsage? usage = null;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(Prompt)], options))
        {
            pieces.AddRange(update.ContentUpdate.Select(p => p.Text).Where(t => t.Length > 0));
            usage ??= update.Usage;
        }
        Assert.Equal(whole.Content[0].Text, string.Concat(pieces));
        Assert.True(pieces.Count >= whole.Usage.OutputTokenCount / 2, $"{pieces.Count} pieces for {whole.Usage.OutputTokenCount} tokens");
        Assert.NotNull(usage);
        Assert.Equal(whole.Usage.OutputTokenCount, usage!.OutputTokenCount);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
    }

    [Fact]
    public async Task Sdk_streaming_with_logprobs_carries_each_token_once()
    {
        var chat = Client().GetChatClient("arithmetic-policy");
        var options = new ChatCompletionOptions { Temperature = 0.8f, Seed = 8, MaxOutputTokenCount = 30, IncludeLogProbabilities = true, TopLogProbabilityCount = 1 };
        ChatCompletion whole = await chat.CompleteChatAsync([new UserChatMessage(Prompt)], options);
        var tokens = new List<ChatTokenLogProbabilityDetails>();
        int pieces = 0;
        await foreach (var update in chat.CompleteChatStreamingAsync([new UserChatMessage(Prompt)], options))
        {
            if (update.ContentTokenLogProbabilities.Count > 0) pieces++;
            tokens.AddRange(update.ContentTokenLogProbabilities);
        }
        Assert.True(pieces > 1);
        Assert.Equal(whole.ContentTokenLogProbabilities.Select(t => t.Token), tokens.Select(t => t.Token));
        Assert.Equal(whole.ContentTokenLogProbabilities.Select(t => t.LogProbability), tokens.Select(t => t.LogProbability));
    }

    [Fact]
    public async Task Meai_streaming_over_the_server_arrives_in_pieces()
    {
        IChatClient client = Client().GetChatClient("arithmetic-policy").AsIChatClient();
        var options = new ChatOptions { Temperature = 0.8f, Seed = 7, MaxOutputTokens = 50 };
        var whole = await client.GetResponseAsync([new AIChatMessage(ChatRole.User, Prompt)], options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new AIChatMessage(ChatRole.User, Prompt)], options)) updates.Add(u);
        Assert.Equal(whole.Text, updates.ToChatResponse().Text);
        Assert.True(updates.Count(u => u.Text.Length > 0) > 1);
    }

    [Fact]
    public async Task Sdk_logprobs_are_parsed_per_token()
    {
        var chat = Client().GetChatClient("arithmetic-policy");
        ChatCompletion completion = await chat.CompleteChatAsync([new UserChatMessage(Prompt)],
            new ChatCompletionOptions { Seed = 2, MaxOutputTokenCount = 6, IncludeLogProbabilities = true, TopLogProbabilityCount = 1 });
        Assert.Equal(6, completion.ContentTokenLogProbabilities.Count);
        Assert.Equal(completion.Content[0].Text, string.Concat(completion.ContentTokenLogProbabilities.Select(t => t.Token)));
        Assert.All(completion.ContentTokenLogProbabilities, t => Assert.True(t.LogProbability <= 0));
        Assert.Equal(ChatFinishReason.Length, completion.FinishReason);
    }

    [Fact]
    public async Task Strategy_suffix_through_the_sdk_returns_the_in_process_answer()
    {
        var chat = Client().GetChatClient("arithmetic-policy+self-consistency-8");
        var result = await chat.CompleteChatAsync([new UserChatMessage(Prompt)], new ChatCompletionOptions { Seed = 13 });
        var extra = JsonDocument.Parse(result.GetRawResponse().Content.ToString()).RootElement.GetProperty("test_time_scaling");

        var direct = await Scale.With(fixture.Sampler).Extractor(LastLineAnswerExtractor.Default).Sampling(new SamplingOptions { Seed = 13, MaxNewTokens = 239 }).SelfConsistency(8).SolveAsync(Prompt);
        Assert.Equal(direct.Answer, extra.GetProperty("answer").GetString());
        Assert.Equal(direct.Chosen!.Text, result.Value.Content[0].Text);
        Assert.Equal("completed", extra.GetProperty("outcome").GetString());
    }

    [Fact]
    public async Task Sdk_reports_an_unknown_model_as_404()
    {
        var chat = Client().GetChatClient("no-such-model");
        var e = await Assert.ThrowsAsync<ClientResultException>(() => chat.CompleteChatAsync([new UserChatMessage(Prompt)]));
        Assert.Equal(404, e.Status);
        Assert.Contains("no-such-model", e.Message);
    }

    [Fact]
    public async Task Extensions_ai_client_over_http_answers_like_the_sampler_chat_client_in_process()
    {
        IChatClient remote = Client().GetChatClient("arithmetic-policy").AsIChatClient();
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = 60 };
        var overHttp = await remote.GetResponseAsync([new AIChatMessage(ChatRole.User, Prompt)], options);

        using IChatClient local = new SamplerChatClient(fixture.Sampler, modelId: "arithmetic-policy");
        var inProcess = await local.GetResponseAsync([new AIChatMessage(ChatRole.User, Prompt)], options);
        Assert.Equal(inProcess.Text, overHttp.Text);
        Assert.Equal(inProcess.Usage!.OutputTokenCount, overHttp.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Self_consistency_middleware_over_http_matches_in_process_at_temperature_zero()
    {
        // No native sampler over HTTP: the middleware samples through chat calls, one per sample.
        using IChatClient scaled = Client().GetChatClient("arithmetic-policy").AsIChatClient()
            .AsBuilder().UseSelfConsistency(4, o => o.AnswerExtractor = LastLineAnswerExtractor.Default).Build();
        var response = await scaled.GetResponseAsync([new AIChatMessage(ChatRole.User, Prompt)], new ChatOptions { Temperature = 0, MaxOutputTokens = 80 });

        var direct = await Scale.With(fixture.Sampler).Extractor(LastLineAnswerExtractor.Default).Sampling(new SamplingOptions { Temperature = 0, MaxNewTokens = 80 }).SelfConsistency(4).SolveAsync(Prompt);
        Assert.Equal(direct.Answer, response.AdditionalProperties![ScalingProperties.Answer]);
        Assert.Equal(direct.Chosen!.Text, response.Text);
        var search = Assert.IsType<SearchResult>(response.RawRepresentation);
        Assert.Equal(4, search.Candidates.Count);
        Assert.Equal(direct.Usage.GeneratedTokens, response.Usage!.OutputTokenCount);
    }
}
