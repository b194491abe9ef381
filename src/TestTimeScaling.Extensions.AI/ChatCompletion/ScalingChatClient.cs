using System.Diagnostics;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace TestTimeScaling.Extensions.AI;

/// <summary>
/// Chat middleware that answers with a test-time scaling strategy: it draws several samples from the inner client,
/// verifies, votes or searches, and returns the chosen solution as the assistant message.
/// </summary>
/// <remarks>
/// <para><b>Sampling.</b> The client first asks the pipeline below for a native sampler
/// (<c>GetService(typeof(ISampler))</c>, answered by <see cref="SamplerChatClient"/>): then prefixes, step delimiters,
/// logprobs and batched samples are available, and chat middleware placed between this client and the sampler
/// is skipped. Otherwise every sample is one chat call through the inner client, which cannot continue a prefix or
/// stop at a step: step-level search refuses with its usual capability message.</para>
/// <para><b>Per call.</b> <see cref="ChatOptions"/>' temperature, top-p, top-k, maximum output tokens, seed and stop
/// sequences override <see cref="ScalingChatClientOptions.Sampling"/>; <see cref="ScalingProperties.MaxSamples"/> and
/// <see cref="ScalingProperties.MaxTokens"/> in <c>AdditionalProperties</c> override the budget. The caller's options
/// are never changed.</para>
/// <para><b>Result.</b> <c>Usage</c> holds the whole spend (input: prompt tokens computed; output: every token
/// generated) with forward passes, verifier calls and KV-cache bytes in <c>AdditionalCounts</c>; the answer,
/// outcome and candidate count are in <c>AdditionalProperties</c>; the <see cref="SearchResult"/> (trace included) is
/// the <c>RawRepresentation</c>. Cancellation throws <see cref="ScalingCanceledException"/> (an
/// <see cref="OperationCanceledException"/>) carrying the partial result.</para>
/// <para><b>Streaming</b> yields the final response as updates once the strategy has finished: selection needs every sample.</para>
/// <para><b>Telemetry.</b> An <see cref="ActivitySource"/> and a <see cref="System.Diagnostics.Metrics.Meter"/> named
/// <see cref="TelemetrySourceName"/>: a span per strategy run (<c>test_time_scaling {strategy}</c>, with each trace
/// event as a span event), per sampler call and per verifier call; GenAI client metrics and run histograms. Spans
/// start only when listened to; no prompt or completion text is recorded.</para>
/// </remarks>
public sealed class ScalingChatClient : DelegatingChatClient
{
    /// <summary>The default name of the middleware's <see cref="ActivitySource"/> and <c>Meter</c> (for <c>AddSource</c> and <c>AddMeter</c>).</summary>
    public const string TelemetrySourceName = "Experimental.TestTimeScaling.Extensions.AI";

    private readonly ScalingChatClientOptions _options;
    private readonly ScalingTelemetry _telemetry;
    private readonly ILogger _logger;

    /// <summary>Wraps <paramref name="innerClient"/>.</summary>
    /// <param name="innerClient">The client samples come from (or the pipeline that holds a native sampler).</param>
    /// <param name="strategy">The strategy each call runs.</param>
    /// <param name="options">Verifier, extractor, budget and sampling settings; copied, so later changes do not reach this client.</param>
    /// <param name="loggerFactory">Where to log each run's outcome and spend (debug level); null for none.</param>
    /// <exception cref="ArgumentNullException">An argument is null.</exception>
    /// <exception cref="ArgumentException">The options are invalid (the message names the setting).</exception>
    public ScalingChatClient(IChatClient innerClient, ISearchStrategy strategy, ScalingChatClientOptions options, ILoggerFactory? loggerFactory = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(strategy);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        Strategy = strategy;
        _options = options.Clone();
        _telemetry = new ScalingTelemetry(_options.TelemetrySourceName ?? TelemetrySourceName);
        _logger = (ILogger?)loggerFactory?.CreateLogger<ScalingChatClient>() ?? NullLogger.Instance;
    }

    /// <summary>The strategy each call runs.</summary>
    public ISearchStrategy Strategy { get; }

    /// <summary>The budget each call gets unless <see cref="ScalingProperties"/> overrides it.</summary>
    public Budget Budget => _options.Budget!;

    /// <inheritdoc />
    /// <exception cref="ScalingCanceledException">The token was cancelled while the strategy ran.</exception>
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var conversation = messages.ToList();
        var native = InnerClient.GetService(typeof(ISampler)) as ISampler;
        var formatter = _options.PromptFormatter
            ?? (InnerClient.GetService(typeof(SamplerChatClient)) as SamplerChatClient)?.PromptFormatter
            ?? ChatPrompt.Concatenate;
        string prompt = formatter(conversation);
        var sampling = ChatOptionsMapping.ToSampling(options, _options.Sampling);
        var budget = BudgetFor(options);
        string? model = options?.ModelId ?? (InnerClient.GetService(typeof(ChatClientMetadata)) as ChatClientMetadata)?.DefaultModelId;

        ISampler sampler = native ?? new ChatCallSampler(InnerClient, conversation, prompt, options, _options.MaxConcurrentChatCalls);
        var verifier = _options.Verifier;
        if (_telemetry.Active)
        {
            sampler = new InstrumentedSampler(sampler, _telemetry, model, native is not null);
            if (verifier is not null) verifier = new InstrumentedVerifier(verifier, _telemetry);
        }
        var context = new SearchContext
        {
            Sampler = sampler,
            Verifier = verifier,
            AnswerExtractor = _options.AnswerExtractor,
            Budget = budget,
            Sampling = sampling,
        };

        using var activity = _telemetry.Source.StartActivity($"{TelemetryConsts.OperationTestTimeScaling} {Strategy.Name}");
        activity?.SetTag(TelemetryConsts.OperationName, TelemetryConsts.OperationTestTimeScaling)
            .SetTag(TelemetryConsts.Strategy, Strategy.Name)
            .SetTag(TelemetryConsts.RequestModel, model)
            .SetTag(TelemetryConsts.BudgetMaxSamples, budget.MaxSamples)
            .SetTag(TelemetryConsts.BudgetMaxTokens, budget.MaxGeneratedTokens);
        long start = Stopwatch.GetTimestamp();
        SearchResult result;
        try
        {
            result = await Strategy.SolveAsync(new Problem(prompt), context, cancellationToken).ConfigureAwait(false);
        }
        catch (SearchCanceledException e)
        {
            // Strategies throw on cancellation, carrying the partial result; keep it at this boundary.
            activity?.SetTag(TelemetryConsts.ErrorType, e.GetType().FullName).SetStatus(ActivityStatusCode.Error, e.Message);
            throw new ScalingCanceledException(e.Partial, cancellationToken);
        }
        catch (Exception e)
        {
            activity?.SetTag(TelemetryConsts.ErrorType, e.GetType().FullName).SetStatus(ActivityStatusCode.Error, e.Message);
            throw;
        }
        Record(activity, result, Stopwatch.GetElapsedTime(start));
        _logger.LogDebug("{Strategy} finished {Outcome}: answer {Answer}, {Candidates} candidates, {Generated} tokens generated, {ForwardPasses} forward passes.",
            Strategy.Name, result.Outcome, result.Answer, result.Candidates.Count, result.Usage.GeneratedTokens, result.Usage.ForwardPasses);
        return ToResponse(result, model);
    }

    /// <inheritdoc />
    /// <remarks>Selection needs every sample, so the chosen answer arrives as updates once the strategy has finished.</remarks>
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType == typeof(ISearchStrategy)) return Strategy;
        return base.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing) _telemetry.Dispose();
        base.Dispose(disposing);
    }

    private Budget BudgetFor(ChatOptions? options)
    {
        var budget = _options.Budget!;
        if (options?.AdditionalProperties is not { } extra) return budget;
        if (extra.ContainsKey(ScalingProperties.MaxSamples))
        {
            if (!extra.TryGetValue(ScalingProperties.MaxSamples, out int samples))
                throw new ArgumentException($"AdditionalProperties['{ScalingProperties.MaxSamples}'] must be an integer.", nameof(options));
            budget = budget with { MaxSamples = samples };
        }
        if (extra.ContainsKey(ScalingProperties.MaxTokens))
        {
            if (!extra.TryGetValue(ScalingProperties.MaxTokens, out long tokens))
                throw new ArgumentException($"AdditionalProperties['{ScalingProperties.MaxTokens}'] must be an integer.", nameof(options));
            budget = budget with { MaxGeneratedTokens = tokens };
        }
        budget.Validate();
        return budget;
    }

    private void Record(Activity? activity, SearchResult result, TimeSpan elapsed)
    {
        string outcome = result.Outcome.ToString();
        if (activity is not null)
        {
            activity.SetTag(TelemetryConsts.Outcome, outcome)
                .SetTag(TelemetryConsts.Samples, result.Candidates.Count)
                .SetTag(TelemetryConsts.UsageInputTokens, result.Usage.PromptTokens)
                .SetTag(TelemetryConsts.UsageOutputTokens, result.Usage.GeneratedTokens)
                .SetTag(TelemetryConsts.ForwardPasses, result.Usage.ForwardPasses)
                .SetTag(TelemetryConsts.VerifierCalls, result.Usage.VerifierCalls);
            foreach (var e in result.Trace.Events)
            {
                var tags = new ActivityTagsCollection { ["message"] = e.Message };
                if (e.Values is not null) foreach (var (k, v) in e.Values) tags[k] = v;
                activity.AddEvent(new ActivityEvent(e.Kind, tags: tags));
            }
        }
        var runTags = new TagList { { TelemetryConsts.Strategy, Strategy.Name }, { TelemetryConsts.Outcome, outcome } };
        if (_telemetry.RunDuration.Enabled) _telemetry.RunDuration.Record(elapsed.TotalSeconds, runTags);
        if (_telemetry.RunSamples.Enabled) _telemetry.RunSamples.Record(result.Candidates.Count, runTags);
        if (_telemetry.RunForwardPasses.Enabled) _telemetry.RunForwardPasses.Record(result.Usage.ForwardPasses, runTags);
        if (_telemetry.GeneratedTokens.Enabled) _telemetry.GeneratedTokens.Add(result.Usage.GeneratedTokens, runTags);
    }

    private ChatResponse ToResponse(SearchResult result, string? model)
    {
        var chosen = result.Chosen;
        var u = result.Usage;
        var response = new ChatResponse(new ChatMessage(ChatRole.Assistant, chosen?.Text ?? ""))
        {
            ModelId = model,
            FinishReason = ChatOptionsMapping.ToChat(chosen?.FinishReason ?? FinishReason.Stop),
            CreatedAt = DateTimeOffset.UtcNow,
            ResponseId = Guid.NewGuid().ToString("N"),
            RawRepresentation = result,
            Usage = new UsageDetails
            {
                InputTokenCount = u.PromptTokens,
                OutputTokenCount = u.GeneratedTokens,
                TotalTokenCount = u.PromptTokens + u.GeneratedTokens,
                AdditionalCounts = new AdditionalPropertiesDictionary<long>
                {
                    [ScalingProperties.ForwardPasses] = u.ForwardPasses,
                    [ScalingProperties.VerifierCalls] = u.VerifierCalls,
                    [ScalingProperties.KvCacheBytesRead] = (long)u.KvCacheBytesRead,
                },
            },
            AdditionalProperties = new AdditionalPropertiesDictionary
            {
                [ScalingProperties.Strategy] = Strategy.Name,
                [ScalingProperties.Outcome] = result.Outcome,
                [ScalingProperties.Candidates] = result.Candidates.Count,
            },
        };
        if (result.Answer is not null) response.AdditionalProperties[ScalingProperties.Answer] = result.Answer;
        return response;
    }
}
