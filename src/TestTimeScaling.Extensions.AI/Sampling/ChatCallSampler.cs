using Microsoft.Extensions.AI;

namespace TestTimeScaling.Extensions.AI;

/// <summary>
/// The fallback when no native sampler lies below the middleware: each sample is one chat call to the inner
/// client. Chat APIs cannot continue a partial answer, stop at a step delimiter, or return token logprobs, and
/// the capabilities say so, so step-level search refuses with its usual message.
/// </summary>
internal sealed class ChatCallSampler : ISampler
{
    private readonly IChatClient _client;
    private readonly IReadOnlyList<ChatMessage> _messages;
    private readonly string _formattedPrompt;
    private readonly ChatOptions? _callerOptions;
    private readonly int _maxConcurrency;

    /// <param name="client">The inner client.</param>
    /// <param name="messages">The caller's conversation, sent as is when the strategy asks for the original prompt.</param>
    /// <param name="formattedPrompt">The prompt the strategy sees for that conversation.</param>
    /// <param name="callerOptions">The caller's options, copied (never changed) for each call.</param>
    /// <param name="maxConcurrency">Chat calls in flight at once.</param>
    public ChatCallSampler(IChatClient client, IReadOnlyList<ChatMessage> messages, string formattedPrompt, ChatOptions? callerOptions, int maxConcurrency)
    {
        _client = client;
        _messages = messages;
        _formattedPrompt = formattedPrompt;
        _callerOptions = callerOptions;
        _maxConcurrency = maxConcurrency;
    }

    public SamplerCapabilities Capabilities { get; } = new()
    {
        Logprobs = false,
        StepDelimiter = false,
        StopAfterFinished = false,
        SharesPrefixComputation = false,
    };

    /// <summary>An estimate (four characters a token): chat clients have no tokenizer to ask.</summary>
    public int CountTokens(string text) => string.IsNullOrEmpty(text) ? 0 : (text.Length + 3) / 4;

    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (request.Prefixes.Any(p => p.Length > 0))
            throw new ArgumentException("A chat client cannot continue a partial solution (prefix); put a native sampler (SamplerChatClient) below the middleware for strategies that need prefixes.", nameof(request.Prefixes));
        if (request.Options.StepDelimiter is not null)
            throw new ArgumentException("A chat client cannot stop at a step delimiter; step-level search needs a native sampler (SamplerChatClient) below the middleware.", nameof(request.Options.StepDelimiter));

        // The strategy's own prompt (refinement feedback, for example) replaces the conversation when it differs.
        IReadOnlyList<ChatMessage> messages = request.Prompt == _formattedPrompt ? _messages : [new ChatMessage(ChatRole.User, request.Prompt)];
        using var gate = new SemaphoreSlim(_maxConcurrency, _maxConcurrency);
        var calls = Enumerable.Range(0, request.RowCount).Select(async row =>
        {
            await gate.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                // Distinct seeds per row, so a seeded call still draws n different samples.
                long? seed = request.Options.Seed is { } s ? unchecked(s + row) : null;
                var options = ChatOptionsMapping.ToChatOptions(_callerOptions, request.Options, seed);
                var response = await _client.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
                string text = response.Text ?? "";
                var completion = new Completion
                {
                    PrefixIndex = row / request.N,
                    Text = text,
                    Logprobs = null,
                    FinishReason = ChatOptionsMapping.FromChat(response.FinishReason),
                };
                var usage = new Usage
                {
                    PromptTokens = response.Usage?.InputTokenCount ?? CountTokens(request.Prompt),
                    GeneratedTokens = response.Usage?.OutputTokenCount ?? CountTokens(text),
                };
                return (completion, usage);
            }
            finally
            {
                gate.Release();
            }
        }).ToList();
        var results = await Task.WhenAll(calls).ConfigureAwait(false);
        var total = results.Aggregate(Usage.Zero, (sum, r) => sum + r.usage);
        return new SampleResult(results.Select(r => r.completion).ToList(), total);
    }
}
