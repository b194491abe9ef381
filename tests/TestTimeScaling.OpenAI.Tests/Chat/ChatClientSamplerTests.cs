using Microsoft.Extensions.AI;

namespace TestTimeScaling.OpenAI.Tests.Chat;

/// <summary>The chat-client sampler over a scripted <see cref="IChatClient"/> (the client is the test's, the sampler is under test).</summary>
public sealed class ChatClientSamplerTests
{
    /// <summary>Answers "answer {seed}" and records the options it was given; optionally reports usage.</summary>
    private sealed class ScriptedChatClient(bool reportUsage = true) : IChatClient
    {
        private int _inFlight, _max;
        public List<ChatOptions> Seen { get; } = [];
        public int MaxInFlight => _max;
        public TaskCompletionSource? Gate { get; set; }
        public long HoldFrom { get; set; }

        public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
        {
            int now = Interlocked.Increment(ref _inFlight);
            lock (Seen) { Seen.Add(options!); _max = Math.Max(_max, now); }
            try
            {
                await Task.Delay(10, cancellationToken);
                if (Gate is { } gate && options!.Seed != HoldFrom - 1) await gate.Task.WaitAsync(cancellationToken);
                var text = $"{messages.Single().Text} -> answer {options!.Seed}";
                return new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
                {
                    FinishReason = options.MaxOutputTokens < 5 ? ChatFinishReason.Length : ChatFinishReason.Stop,
                    Usage = reportUsage ? new UsageDetails { InputTokenCount = 3, OutputTokenCount = 7 } : null,
                };
            }
            finally { Interlocked.Decrement(ref _inFlight); }
        }

        public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose() { }
    }

    [Fact]
    public async Task N_samples_are_concurrent_calls_with_distinct_seeds_and_mapped_options()
    {
        var client = new ScriptedChatClient();
        var sampler = new ChatClientSampler(client, new ChatClientSamplerOptions { ModelId = "gpt-x", MaxConcurrentRequests = 2 });

        var result = await sampler.SampleAsync(new SampleRequest
        {
            Prompt = "Q", N = 5, Options = new SamplingOptions { Seed = 100, Temperature = 0.5, TopP = 0.8, TopK = 4, MaxNewTokens = 30, StopSequences = ["\n\n"] },
        });

        Assert.Equal(Enumerable.Range(100, 5).Select(s => $"Q -> answer {s}"), result.Completions.Select(c => c.Text));
        Assert.All(result.Completions, c => Assert.Equal(FinishReason.Stop, c.FinishReason));
        Assert.All(result.Completions, c => Assert.Equal(7, c.GeneratedTokens));
        Assert.Equal(new Usage { PromptTokens = 15, GeneratedTokens = 35, WallTime = result.Usage.WallTime }, result.Usage);
        Assert.True(client.MaxInFlight <= 2);
        Assert.All(client.Seen, o =>
        {
            Assert.Equal("gpt-x", o.ModelId);
            Assert.Equal(0.5f, o.Temperature);
            Assert.Equal(0.8f, o.TopP);
            Assert.Equal(4, o.TopK);
            Assert.Equal(30, o.MaxOutputTokens);
            Assert.Equal(["\n\n"], o.StopSequences!);
        });
    }

    [Fact]
    public async Task Capabilities_refuse_prefixes_and_step_delimiters_and_step_search_says_why()
    {
        var sampler = new ChatClientSampler(new ScriptedChatClient());
        Assert.False(sampler.Capabilities.StepDelimiter);
        Assert.False(sampler.Capabilities.Logprobs);
        Assert.False(sampler.Capabilities.StopAfterFinished);

        var prefix = await Assert.ThrowsAsync<ArgumentException>(() => sampler.SampleAsync(new SampleRequest { Prompt = "Q", Prefixes = ["", "partial"] }));
        Assert.Contains("Prefixes[1]", prefix.Message);
        await Assert.ThrowsAsync<ArgumentException>(() => sampler.SampleAsync(new SampleRequest { Prompt = "Q", Options = new SamplingOptions { StepDelimiter = "\n" } }));
        var search = await Assert.ThrowsAsync<NotSupportedException>(() => Scale.With(sampler).Extractor(LastLineAnswerExtractor.Default).Verifier(new FakeVerifier()).BeamSearch().SolveAsync("Q"));
        Assert.Contains("StepDelimiter", search.Message);
    }

    [Fact]
    public async Task Counts_the_client_did_not_report_are_estimated_and_marked()
    {
        var sampler = new ChatClientSampler(new ScriptedChatClient(reportUsage: false), new ChatClientSamplerOptions { CharactersPerTokenEstimate = 2 });
        var result = await sampler.SampleAsync(new SampleRequest { Prompt = "Q", Options = new SamplingOptions { Seed = 1, MaxNewTokens = 4 } });

        Assert.True(result.Usage.TokensEstimated);
        Assert.Equal(FinishReason.Length, result.Completions[0].FinishReason);
        Assert.Equal((int)Math.Ceiling("Q -> answer 1".Length / 2.0), result.Completions[0].GeneratedTokens);
    }

    [Fact]
    public async Task Cancellation_reports_the_rows_that_finished()
    {
        // Row 0 (seed 1) answers; the rows after it wait on a gate that never opens.
        var client = new ScriptedChatClient { Gate = new TaskCompletionSource(), HoldFrom = 2 };
        var sampler = new ChatClientSampler(client, new ChatClientSamplerOptions { MaxConcurrentRequests = 1 });
        using var cts = new CancellationTokenSource();
        var call = sampler.SampleAsync(new SampleRequest { Prompt = "Q", N = 3, Options = new SamplingOptions { Seed = 1 } }, cts.Token);
        var until = DateTime.UtcNow.AddSeconds(30);
        while (client.Seen.Count < 2 && DateTime.UtcNow < until) await Task.Delay(5);
        cts.Cancel();

        var e = await Assert.ThrowsAsync<SamplingCanceledException>(() => call.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal(FinishReason.Stop, e.Partial.Completions[0].FinishReason);
        Assert.Equal(FinishReason.Abandoned, e.Partial.Completions[2].FinishReason);
        Assert.True(e.Partial.Usage.GeneratedTokens >= 7);
    }

    private sealed class FakeVerifier : IVerifier
    {
        public VerifierKind Kind => VerifierKind.Process;
        public Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default) =>
            Task.FromResult<IReadOnlyList<VerifierScore>>(solutions.Select(_ => new VerifierScore(1)).ToList());
    }
}
