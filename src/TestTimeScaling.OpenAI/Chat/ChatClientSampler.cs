using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace TestTimeScaling.OpenAI;

/// <summary>
/// An <see cref="ISampler"/> over any <see cref="IChatClient"/> (OpenAI, Azure OpenAI, Ollama, the local engine's adapter):
/// fresh samples of a prompt sent as one user message, n of them as concurrent calls.
/// </summary>
/// <remarks>
/// A chat API cannot continue a raw partial solution, pause at a step delimiter, report per-token logprobs through
/// <see cref="IChatClient"/>, or stop early across calls, and <see cref="Capabilities"/> says so: parallel strategies
/// (best-of-N, self-consistency) work; step-level search refuses with its usual message. Each row gets its own seed
/// (the request's seed plus the row index), because one seed sent n times would give n identical samples.
/// Token ids are unknown (-1 per token); counts come from the client's <see cref="UsageDetails"/>, else the tokenizer
/// or the estimate (then <see cref="Usage.TokensEstimated"/> is set). The client is used, not owned.
/// </remarks>
public sealed class ChatClientSampler : ISampler
{
    private readonly IChatClient _client;
    private readonly ChatClientSamplerOptions _options;
    private readonly SemaphoreSlim _inFlight;

    /// <summary>Creates a sampler over <paramref name="client"/>.</summary>
    public ChatClientSampler(IChatClient client, ChatClientSamplerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        _options = options ?? new ChatClientSamplerOptions();
        _options.Validate();
        _client = client;
        _inFlight = new SemaphoreSlim(_options.MaxConcurrentRequests, _options.MaxConcurrentRequests);
    }

    /// <inheritdoc />
    public SamplerCapabilities Capabilities { get; } = new()
    {
        MaxRowsPerRequest = int.MaxValue,
        Logprobs = false,
        StepDelimiter = false,
        StopAfterFinished = false,
        SharesPrefixComputation = false,
    };

    /// <inheritdoc />
    public int CountTokens(string text) => Count(text).Count;

    /// <inheritdoc />
    /// <exception cref="ArgumentException">A prefix is not empty, or a step delimiter is set: a chat API cannot honour either.</exception>
    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        for (int i = 0; i < request.Prefixes.Count; i++)
            if (request.Prefixes[i].Length > 0)
                throw new ArgumentException($"ChatClientSampler draws fresh samples only; Prefixes[{i}] is not empty (a chat API cannot continue a partial solution).", nameof(request));
        if (request.Options.StepDelimiter is not null)
            throw new ArgumentException("ChatClientSampler cannot pause at a step delimiter; SamplingOptions.StepDelimiter must be null (see Capabilities.StepDelimiter).", nameof(request));
        cancellationToken.ThrowIfCancellationRequested();

        var started = Stopwatch.GetTimestamp();
        var model = _options.ModelId ?? "default";
        using var activity = SamplerInstruments.Start(OpenTelemetryConsts.Chat, model, request.Options, request.RowCount, null);
        var rows = new Row[request.RowCount];
        var tasks = new Task[rows.Length];
        for (int r = 0; r < rows.Length; r++)
        {
            rows[r] = new Row(r / request.N);
            tasks[r] = RunRowAsync(rows[r], request, r, cancellationToken);
        }
        Exception? failure = null;
        try { await Task.WhenAll(tasks).ConfigureAwait(false); }
        catch (Exception e) { failure = tasks.Select(t => t.Exception?.InnerException).FirstOrDefault(x => x is not null) ?? e; }

        var result = Assemble(request, rows, Stopwatch.GetElapsedTime(started));
        if (cancellationToken.IsCancellationRequested)
        {
            var canceled = new SamplingCanceledException(result, cancellationToken);
            SamplerInstruments.Stop(activity, OpenTelemetryConsts.Chat, model, null, result.Usage.WallTime, result.Usage, null, canceled);
            throw canceled;
        }
        SamplerInstruments.Stop(activity, OpenTelemetryConsts.Chat, model, null, result.Usage.WallTime, result.Usage,
            result.Completions.Select(c => c.FinishReason), failure);
        if (failure is not null) throw failure;
        return result;
    }

    private async Task RunRowAsync(Row row, SampleRequest request, int index, CancellationToken cancellationToken)
    {
        var s = request.Options;
        var options = new ChatOptions
        {
            ModelId = _options.ModelId,
            Instructions = _options.Instructions,
            Temperature = (float)s.Temperature,
            TopP = s.TopP is { } p ? (float)p : null,
            TopK = s.TopK is > 0 ? s.TopK : null,
            MaxOutputTokens = s.MaxNewTokens,
            Seed = s.Seed is { } seed ? unchecked(seed + index) : null,
            StopSequences = s.StopSequences.Count > 0 ? s.StopSequences.ToList() : null,
        };
        await _inFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var response = await _client.GetResponseAsync([new ChatMessage(ChatRole.User, request.Prompt)], options, cancellationToken).ConfigureAwait(false);
            row.Response = response;
        }
        finally
        {
            _inFlight.Release();
        }
    }

    private SampleResult Assemble(SampleRequest request, Row[] rows, TimeSpan elapsed)
    {
        long prompt = 0, generated = 0;
        bool estimated = false;
        var completions = new List<Completion>(rows.Length);
        foreach (var row in rows)
        {
            var response = row.Response;
            var text = response?.Text ?? "";
            int count;
            if (response?.Usage?.OutputTokenCount is { } reported) count = (int)Math.Min(int.MaxValue, reported);
            else { var c = Count(text); count = c.Count; estimated |= c.Estimated && response is not null; }
            if (response is null) count = 0;
            generated += count;
            if (response is not null)
            {
                if (response.Usage?.InputTokenCount is { } input) prompt += input;
                else { var c = Count(request.Prompt); prompt += c.Count; estimated |= c.Estimated; }
            }
            completions.Add(new Completion
            {
                PrefixIndex = row.PrefixIndex,
                Text = text,
                TokenIds = Enumerable.Repeat(-1, count).ToArray(),
                FinishReason = response is null ? FinishReason.Abandoned
                    : response.FinishReason == ChatFinishReason.Length ? FinishReason.Length : FinishReason.Stop,
            });
        }
        return new SampleResult(completions, new Usage { PromptTokens = prompt, GeneratedTokens = generated, WallTime = elapsed, TokensEstimated = estimated });
    }

    private (int Count, bool Estimated) Count(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (_options.Tokenizer is { } tokenizer) return (tokenizer(text), false);
        return ((int)Math.Ceiling(text.Length / _options.CharactersPerTokenEstimate), true);
    }

    private sealed class Row(int prefixIndex)
    {
        public int PrefixIndex { get; } = prefixIndex;
        public ChatResponse? Response { get; set; }
    }
}
