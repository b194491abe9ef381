using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using TestTimeScaling.Extensions.AI;

namespace TestTimeScaling.Server.Tests;

/// <summary><see cref="SamplerChatClient"/> over the embedded engine, and the DI registration.</summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class SamplerChatClientTests(EmbeddedServerFixture fixture)
{
    private const string Prompt = "Q: 38 +7 +15 -19\n";

    [Fact]
    public async Task Answers_with_the_engine_sample_and_maps_chat_options()
    {
        using IChatClient client = new SamplerChatClient(fixture.Sampler, modelId: "arithmetic-policy");
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Prompt)], new ChatOptions { Seed = 8, Temperature = 0.6f, MaxOutputTokens = 50 });
        var direct = await fixture.Sampler.SampleAsync(new SampleRequest { Prompt = Prompt, Options = new SamplingOptions { Seed = 8, Temperature = 0.6f, MaxNewTokens = 50 } });
        Assert.Equal(direct.Completions[0].Text, response.Text);
        Assert.Equal(ChatRole.Assistant, response.Messages.Single().Role);
        Assert.Equal(fixture.Sampler.CountTokens(Prompt), response.Usage!.InputTokenCount);
        Assert.Equal(direct.Completions[0].GeneratedTokens, response.Usage.OutputTokenCount);

        var cut = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Prompt)], new ChatOptions { MaxOutputTokens = 3 });
        Assert.Equal(ChatFinishReason.Length, cut.FinishReason);
        Assert.Equal(3, cut.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Streams_the_engine_text_as_it_is_generated_with_the_usage_last()
    {
        using IChatClient client = new SamplerChatClient(fixture.Sampler, modelId: "m");
        var options = new ChatOptions { Seed = 5, Temperature = 0.8f, MaxOutputTokens = 40 };
        var whole = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Prompt)], options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, Prompt)], options)) updates.Add(u);

        Assert.Equal(whole.Text, string.Concat(updates.Select(u => u.Text)));
        // Several pieces, not one finished answer: about one per generated token.
        Assert.True(updates.Count(u => u.Text.Length > 0) >= whole.Usage!.OutputTokenCount / 2,
            $"{updates.Count(u => u.Text.Length > 0)} text updates for {whole.Usage.OutputTokenCount} tokens");
        Assert.Single(updates, u => u.FinishReason is not null);
        Assert.Equal(whole.FinishReason, updates[^1].FinishReason);
        var usage = Assert.Single(updates[^1].Contents.OfType<UsageContent>()).Details;
        Assert.Equal(whole.Usage.OutputTokenCount, usage.OutputTokenCount);
        Assert.Equal(whole.Usage.InputTokenCount, usage.InputTokenCount);
        Assert.Single(updates.Select(u => u.ResponseId).Distinct());
    }

    [Fact]
    public async Task Over_a_sampler_that_cannot_stream_the_finished_answer_comes_as_updates()
    {
        using IChatClient client = new SamplerChatClient(new WholeSamples(fixture.Sampler));
        var options = new ChatOptions { Seed = 5, Temperature = 0.8f, MaxOutputTokens = 40 };
        var whole = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Prompt)], options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, Prompt)], options)) updates.Add(u);
        Assert.Equal(whole.Text, updates.ToChatResponse().Text);
        Assert.Single(updates, u => u.Text.Length > 0);
    }

    /// <summary>The engine seen only as an <see cref="ISampler"/>.</summary>
    private sealed class WholeSamples(ISampler inner) : ISampler
    {
        public SamplerCapabilities Capabilities => inner.Capabilities;
        public int CountTokens(string text) => inner.CountTokens(text);
        public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default) => inner.SampleAsync(request, cancellationToken);
    }

    [Fact]
    public async Task Exposes_its_sampler_and_streams_the_finished_answer()
    {
        using IChatClient client = new SamplerChatClient(fixture.Sampler, modelId: "m");
        Assert.Same(fixture.Sampler, client.GetService<ISampler>());
        Assert.Equal("m", client.GetService<ChatClientMetadata>()!.DefaultModelId);
        Assert.Null(client.GetService<ISampler>("keyed"));

        var options = new ChatOptions { Seed = 3, MaxOutputTokens = 40 };
        var whole = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Prompt)], options);
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, Prompt)], options)) updates.Add(u);
        Assert.Equal(whole.Text, updates.ToChatResponse().Text);
    }

    [Fact]
    public void Concatenation_passes_one_message_through_and_joins_several_by_lines()
    {
        Assert.Equal(Prompt, ChatPrompt.Concatenate([new ChatMessage(ChatRole.User, Prompt)]));
        Assert.Equal("You add.\nQ: 1 +2\n17", ChatPrompt.Concatenate([new(ChatRole.System, "You add."), new(ChatRole.User, "Q: 1 +2\n"), new(ChatRole.Assistant, "17")]));
    }

    [Fact]
    public async Task Add_test_time_scaling_registers_a_scaling_chat_client_over_the_sampler()
    {
        var services = new ServiceCollection();
        services.AddSingleton<IVerifier>(fixture.Verifier);
        // The container owns (and disposes) what the factory creates: a sampler of its own over the loaded policy.
        services.AddTestTimeScaling(_ => fixture.Policy.CreateSampler(), new BestOfN(4), Budget.Samples(4), o => o.AnswerExtractor = LastLineAnswerExtractor.Default);
        await using var provider = services.BuildServiceProvider();

        var client = provider.GetRequiredService<IChatClient>();
        Assert.IsType<BestOfN>(client.GetService<ISearchStrategy>());
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Q: 17 +8 *3 -12\n")], new ChatOptions { Seed = 1 });
        var search = Assert.IsType<SearchResult>(response.RawRepresentation);
        Assert.Equal(4, search.Candidates.Count);
        Assert.True(search.Usage.VerifierCalls >= 4); // the verifier came from the container
    }
}
