using Microsoft.Extensions.AI;
using TestTimeScaling.Extensions.AI;

namespace TestTimeScaling.Server.Tests;

/// <summary>
/// <see cref="ScalingChatClient"/> over a callback chat client (the chat-call path) and over a
/// <see cref="SamplerChatClient"/> on the embedded engine (the native path).
/// </summary>
[Collection(EmbeddedServerCollection.Name)]
public sealed class ScalingChatClientTests(EmbeddedServerFixture fixture)
{
    private const string Prompt = "Q: 17 +8 *3 -12\n";

    /// <summary>A chat client that answers from a script, recording every call's options.</summary>
    private static TestChatClient Scripted(IReadOnlyList<string> answers, List<ChatOptions?> seen)
    {
        int next = 0;
        return new TestChatClient
        {
            GetResponseAsyncCallback = (messages, options, ct) =>
            {
                lock (seen) seen.Add(options);
                int i = Interlocked.Increment(ref next) - 1;
                var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, answers[i % answers.Count]))
                {
                    FinishReason = ChatFinishReason.Stop,
                    Usage = new UsageDetails { InputTokenCount = 10, OutputTokenCount = 5 },
                };
                return Task.FromResult(response);
            },
        };
    }

    [Fact]
    public async Task Self_consistency_over_chat_calls_returns_the_majority_and_the_whole_spend()
    {
        var seen = new List<ChatOptions?>();
        using var client = Scripted(["work\nA: 7", "work\nA: 9", "other\nA: 7", "x\nA: 7", "y\nA: 1"], seen)
            .AsBuilder().UseSelfConsistency(5, o => o.AnswerExtractor = LastLineAnswerExtractor.Default).Build();

        var callerOptions = new ChatOptions { Temperature = 0.5f, MaxOutputTokens = 33, Seed = 100, StopSequences = ["END"], TopP = 0.9f };
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Q?")], callerOptions);

        Assert.Equal("7", response.AdditionalProperties![ScalingProperties.Answer]);
        Assert.EndsWith("A: 7", response.Text);
        Assert.Equal(SearchOutcome.Completed, response.AdditionalProperties[ScalingProperties.Outcome]);
        Assert.Equal(5, response.AdditionalProperties[ScalingProperties.Candidates]);
        Assert.Equal(25, response.Usage!.OutputTokenCount);
        Assert.Equal(50, response.Usage.InputTokenCount);
        Assert.Equal(5, seen.Count);
        Assert.All(seen, o =>
        {
            Assert.Equal(0.5f, o!.Temperature);
            Assert.Equal(33, o.MaxOutputTokens);
            Assert.Equal(["END"], o.StopSequences!);
            Assert.Equal(0.9f, o.TopP!.Value, 5);
        });
        // Seeded: every chat call gets its own seed derived from the caller's, so the samples differ.
        Assert.Equal(5, seen.Select(o => o!.Seed).Where(s => s is not null).Distinct().Count());
        // The caller's options are untouched.
        Assert.Equal(100, callerOptions.Seed);
        Assert.Equal(0.5f, callerOptions.Temperature);
        Assert.DoesNotContain(seen, o => ReferenceEquals(o, callerOptions));
    }

    [Fact]
    public async Task A_budget_override_in_additional_properties_limits_the_samples()
    {
        var seen = new List<ChatOptions?>();
        using var client = Scripted(["A: 1"], seen).AsBuilder().UseSelfConsistency(8).Build();
        var options = new ChatOptions { AdditionalProperties = new() { [ScalingProperties.MaxSamples] = 3 } };
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, "Q?")], options);
        Assert.Equal(3, seen.Count);
        Assert.Equal(3, Assert.IsType<SearchResult>(response.RawRepresentation).Candidates.Count);
        Assert.Single(options.AdditionalProperties);

        options.AdditionalProperties[ScalingProperties.MaxSamples] = "many";
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "Q?")], options));
    }

    [Fact]
    public async Task Step_level_search_over_plain_chat_calls_refuses_with_the_capability_message()
    {
        using var client = Scripted(["A: 1"], []).AsBuilder().UseBeamSearch(2, 2, verifier: fixture.Verifier).Build();
        var e = await Assert.ThrowsAsync<NotSupportedException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "Q?")]));
        Assert.Contains("StepDelimiter", e.Message);
    }

    [Fact]
    public async Task Cancellation_surfaces_as_operation_canceled_with_the_partial_result()
    {
        using var cts = new CancellationTokenSource();
        var inner = new TestChatClient
        {
            GetResponseAsyncCallback = async (messages, options, ct) =>
            {
                cts.Cancel();
                await Task.Delay(Timeout.Infinite, ct);
                throw new InvalidOperationException("unreachable");
            },
        };
        using var client = inner.AsBuilder().UseSelfConsistency(2).Build();
        var e = await Assert.ThrowsAsync<ScalingCanceledException>(() => client.GetResponseAsync([new ChatMessage(ChatRole.User, "Q?")], cancellationToken: cts.Token));
        Assert.Equal(SearchOutcome.Cancelled, e.Partial.Outcome);
        Assert.Equal(cts.Token, e.CancellationToken);
    }

    [Fact]
    public async Task Streaming_yields_the_final_response_as_updates()
    {
        using var client = Scripted(["a\nA: 2"], []).AsBuilder().UseSelfConsistency(3).Build();
        var updates = new List<ChatResponseUpdate>();
        await foreach (var u in client.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "Q?")])) updates.Add(u);
        var combined = updates.ToChatResponse();
        Assert.Equal("a\nA: 2", combined.Text);
        Assert.Equal(15, combined.Usage!.OutputTokenCount);
    }

    [Fact]
    public async Task Native_sampler_path_equals_the_library_in_process()
    {
        using var client = new SamplerChatClient(fixture.Sampler, modelId: "arithmetic-policy").AsBuilder()
            .UseSelfConsistency(8, o => o.AnswerExtractor = LastLineAnswerExtractor.Default).Build();
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Prompt)], new ChatOptions { Seed = 17, Temperature = 0.8f, MaxOutputTokens = 80 });

        var direct = await Scale.With(fixture.Sampler).Sampling(new SamplingOptions { Seed = 17, Temperature = 0.8f, MaxNewTokens = 80 }).SelfConsistency(8).SolveAsync(Prompt);
        Assert.Equal(direct.Answer, response.AdditionalProperties![ScalingProperties.Answer]);
        Assert.Equal(direct.Chosen!.Text, response.Text);
        Assert.Equal(direct.Usage.GeneratedTokens, response.Usage!.OutputTokenCount);
        Assert.True(response.Usage.AdditionalCounts![ScalingProperties.ForwardPasses] > 0);
        Assert.Equal("arithmetic-policy", response.ModelId);
    }

    [Fact]
    public async Task Beam_search_runs_natively_under_the_process_reward_model()
    {
        using var client = new SamplerChatClient(fixture.Sampler).AsBuilder()
            .UseBeamSearch(2, 2, verifier: fixture.Verifier, configure: o => o.AnswerExtractor = LastLineAnswerExtractor.Default).Build();
        var response = await client.GetResponseAsync([new ChatMessage(ChatRole.User, Prompt)], new ChatOptions { Seed = 5, Temperature = 0.8f });
        var search = Assert.IsType<SearchResult>(response.RawRepresentation);
        Assert.True(search.Usage.VerifierCalls > 0);
        Assert.Equal(search.Usage.VerifierCalls, response.Usage!.AdditionalCounts![ScalingProperties.VerifierCalls]);
        Assert.NotNull(search.Answer);
    }
}
