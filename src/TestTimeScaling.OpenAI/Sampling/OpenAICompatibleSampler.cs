using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace TestTimeScaling.OpenAI;

/// <summary>
/// An <see cref="ISampler"/> over the completions route (<c>POST {Endpoint}completions</c>) of an OpenAI-compatible
/// server: vLLM, SGLang, llama.cpp server, Ollama, OpenAI. The prompt plus each prefix is sent as raw text, so
/// step-level search continues partial solutions exactly as it does in process.
/// </summary>
/// <remarks>
/// <para>One call fans out into one HTTP request per prefix (split further when n exceeds
/// <see cref="OpenAICompatibleSamplerOptions.MaxRowsPerRequest"/>, each part with its own derived seed), at most
/// <see cref="OpenAICompatibleSamplerOptions.MaxConcurrentRequests"/> in flight over all calls of this instance.
/// Retries, backoff and timeouts belong to the <see cref="HttpClient"/>'s handlers (register it with
/// <c>AddOpenAICompatibleSampler</c> and chain <c>AddStandardResilienceHandler</c>); this class never retries.</para>
/// <para>Step delimiter: the servers drop a matched stop string from the text, so the delimiter is re-appended and the
/// row finishes with <see cref="FinishReason.StepBoundary"/> when the server says the delimiter matched (vLLM
/// <c>stop_reason</c>, SGLang <c>matched_stop</c>). Otherwise the logprobs' token texts tell, when they include the
/// tokens the server cut (the project's server, vLLM): the delimiter after the text means a step boundary, anything
/// else (an EOS token, or no text beyond the visible one) a stop. Failing both, a row is read as having stopped at the delimiter whenever a delimiter was asked
/// for and <c>finish_reason</c> is <c>stop</c> (and the text does not end with another stop string): a wrong guess
/// costs one more short call, the other guess would end solutions early.</para>
/// <para>Usage: prompt and generated tokens from the server's <c>usage</c> block; rows cut short by
/// <see cref="SampleRequest.StopAfterFinished"/> or cancellation are charged what they streamed. Forward passes, FLOPs
/// and KV-cache bytes are not reported by remote servers and stay 0. Counts that had to be estimated set
/// <see cref="Usage.TokensEstimated"/>.</para>
/// <para>Thread-safe: concurrent calls share the in-flight limit.</para>
/// </remarks>
public sealed partial class OpenAICompatibleSampler : IStreamingSampler
{
    private readonly HttpClient _http;
    private readonly SemaphoreSlim _inFlight;
    private readonly RemoteTokenCounter _tokens;
    private readonly Uri _completionsUri;

    /// <summary>Creates a sampler over <paramref name="httpClient"/>, which it uses but does not own or dispose.</summary>
    /// <exception cref="ArgumentException">An option is invalid (the message names it).</exception>
    public OpenAICompatibleSampler(HttpClient httpClient, OpenAICompatibleSamplerOptions options)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _http = httpClient;
        Options = options;
        _inFlight = new SemaphoreSlim(options.MaxConcurrentRequests, options.MaxConcurrentRequests);
        _completionsUri = new Uri(NormalizeEndpoint(options.Endpoint!), "completions");
        _tokens = new RemoteTokenCounter(httpClient, options);
        Capabilities = new SamplerCapabilities
        {
            // Rows beyond MaxRowsPerRequest are split here, so a strategy may ask for any number.
            MaxRowsPerRequest = int.MaxValue,
            Logprobs = options.SupportsLogprobs,
            StepDelimiter = true,
            StopAfterFinished = options.StreamForStopAfterFinished,
            SharesPrefixComputation = options.ServerCachesPrefixes,
            ContextLength = options.ContextLength,
        };
    }

    /// <summary>The settings this sampler was built with.</summary>
    public OpenAICompatibleSamplerOptions Options { get; }

    /// <inheritdoc />
    public SamplerCapabilities Capabilities { get; }

    /// <summary>The URL completions are posted to.</summary>
    public Uri CompletionsUri => _completionsUri;

    /// <inheritdoc />
    /// <remarks>Blocks on the server's tokenize endpoint when that is the counting source; results are cached per text.
    /// Prefer <see cref="CountTokensAsync"/> where you can await.</remarks>
    public int CountTokens(string text) => _tokens.Count(text);

    /// <summary>Counts tokens as <see cref="CountTokens"/> does, without blocking; says whether the count is an estimate.</summary>
    public async Task<(int Count, bool Estimated)> CountTokensAsync(string text, CancellationToken cancellationToken = default) =>
        await _tokens.CountAsync(text, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <exception cref="OpenAICompatibleServerException">The server failed or answered garbage; <c>Partial</c> holds what was spent.</exception>
    /// <exception cref="SamplingCanceledException">The token was cancelled; <c>Partial</c> holds what was spent.</exception>
    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        cancellationToken.ThrowIfCancellationRequested();

        var jobs = PlanJobs(request);
        bool stream = request.StopAfterFinished is { } k && k < request.RowCount && Options.StreamForStopAfterFinished;
        var started = Stopwatch.GetTimestamp();
        using var activity = SamplerInstruments.Start(OpenTelemetryConsts.TextCompletion, Options.Model, request.Options, request.RowCount, _completionsUri);
        activity?.SetTag(OpenTelemetryConsts.HttpRequestCount, jobs.Count);

        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var finish = new FinishCounter(stream ? request.StopAfterFinished!.Value : int.MaxValue, stop);
        var tasks = jobs.Select(job => RunJobAsync(job, request, stream, finish, stop)).ToArray();
        try
        {
            await Task.WhenAll(tasks).ConfigureAwait(false);
        }
        catch
        {
            // Inspected below, task by task: the first real failure wins over the cancellations it caused.
        }

        Exception? failure = tasks.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null and not OperationCanceledException)
            ?? (cancellationToken.IsCancellationRequested ? null : tasks.Select(t => t.Exception?.InnerException).FirstOrDefault(e => e is not null));
        SampleResult result;
        try
        {
            result = await AssembleAsync(request, jobs, Stopwatch.GetElapsedTime(started)).ConfigureAwait(false);
        }
        catch (Exception e)
        {
            SamplerInstruments.Stop(activity, OpenTelemetryConsts.TextCompletion, Options.Model, _completionsUri, Stopwatch.GetElapsedTime(started), null, null, failure ?? e);
            throw failure ?? e;
        }

        if (failure is null && cancellationToken.IsCancellationRequested)
        {
            var canceled = new SamplingCanceledException(result, cancellationToken);
            SamplerInstruments.Stop(activity, OpenTelemetryConsts.TextCompletion, Options.Model, _completionsUri, result.Usage.WallTime, result.Usage, null, canceled);
            throw canceled;
        }
        if (failure is not null)
        {
            SamplerInstruments.Stop(activity, OpenTelemetryConsts.TextCompletion, Options.Model, _completionsUri, result.Usage.WallTime, result.Usage, null, failure);
            if (failure is OpenAICompatibleServerException server)
                throw new OpenAICompatibleServerException(server.Endpoint, server.Model, server.StatusCode, server.Field, DetailOf(server), server.InnerException) { Partial = result };
            throw failure;
        }
        SamplerInstruments.Stop(activity, OpenTelemetryConsts.TextCompletion, Options.Model, _completionsUri, result.Usage.WallTime, result.Usage,
            result.Completions.Select(c => c.FinishReason), null);
        return result;
    }

    // One request per prefix and chunk of at most MaxRowsPerRequest rows; chunks after the first get derived seeds,
    // because one seed sent twice would return the same samples twice.
    private List<CompletionJob> PlanJobs(SampleRequest request)
    {
        var jobs = new List<CompletionJob>();
        for (int p = 0; p < request.Prefixes.Count; p++)
        {
            int chunk = 0;
            for (int left = request.N; left > 0; left -= Options.MaxRowsPerRequest, chunk++)
            {
                long? seed = request.Options.Seed is { } s ? (chunk == 0 ? s : unchecked(s + chunk * 1_000_003L)) : null;
                jobs.Add(new CompletionJob(p, request.Prefixes[p], Math.Min(left, Options.MaxRowsPerRequest), seed));
            }
        }
        return jobs;
    }

    private async Task RunJobAsync(CompletionJob job, SampleRequest request, bool stream, FinishCounter finish, CancellationTokenSource stop,
        Func<CompletionJob, Task>? onEvent = null)
    {
        var token = stop.Token;
        HttpStatusCode? status = null;
        try
        {
            await _inFlight.WaitAsync(token).ConfigureAwait(false);
            try
            {
                var body = CompletionRequestBody.Build(Options, request, job, stream);
                using var message = new HttpRequestMessage(HttpMethod.Post, _completionsUri) { Content = JsonContent.Create(body) };
                AddAuthorization(message, Options);
                if (stream) message.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
                using var response = await _http.SendAsync(message, stream ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, token).ConfigureAwait(false);
                job.Sent = true;
                status = response.StatusCode;
                if (!response.IsSuccessStatusCode) await ThrowForStatusAsync(response, token).ConfigureAwait(false);
                if (stream) await ReadStreamAsync(response, job, finish, onEvent, token).ConfigureAwait(false);
                else await ReadWholeAsync(response, job, token).ConfigureAwait(false);
                job.Completed = true;
            }
            finally
            {
                _inFlight.Release();
            }
        }
        catch (Exception e) when (token.IsCancellationRequested && e is not ArgumentException and not OpenAICompatibleServerException)
        {
            // Cancelling a read may surface as an IOException rather than a cancellation: the cause is the token either way.
            if (finish.Reached) return; // enough rows finished: the rest is abandoned on purpose
            if (e is OperationCanceledException) throw;
            throw new OperationCanceledException(e.Message, e, token);
        }
        catch (Exception e) when (e is not ArgumentException and not OpenAICompatibleServerException)
        {
            stop.Cancel(); // one failed request fails the call: stop spending on the others
            throw e switch
            {
                MalformedResponseException m => Fail(status, m.Field, m.Message, null),
                JsonException j => Fail(status, string.IsNullOrEmpty(j.Path) ? "$" : j.Path, "the answer is not valid JSON: " + j.Message, j),
                _ => Fail(status, null, $"the request failed ({e.GetType().Name}): {e.Message}", e),
            };
        }
        catch
        {
            stop.Cancel();
            throw;
        }
    }

    private async Task ReadWholeAsync(HttpResponseMessage response, CompletionJob job, CancellationToken token)
    {
        await using var content = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        using var doc = await JsonDocument.ParseAsync(content, default, token).ConfigureAwait(false);
        CompletionResponseReader.Apply(doc.RootElement, job);
        int seen = job.Choices.Count(c => c.Seen);
        if (seen < job.N)
            throw new MalformedResponseException("choices", $"{seen} choice(s) came back for n={job.N} (a server without n > 1 needs MaxRowsPerRequest = 1)");
        for (int i = 0; i < job.N; i++)
            if (job.Choices[i].Finish is null) throw new MalformedResponseException($"choices[{i}].finish_reason", "missing");
    }

    private static async Task ReadStreamAsync(HttpResponseMessage response, CompletionJob job, FinishCounter finish, Func<CompletionJob, Task>? onEvent,
        CancellationToken token)
    {
        await using var content = await response.Content.ReadAsStreamAsync(token).ConfigureAwait(false);
        bool done = false;
        await foreach (var item in System.Net.ServerSentEvents.SseParser.Create(content).EnumerateAsync(token).ConfigureAwait(false))
        {
            if (item.Data is "[DONE]") { done = true; break; }
            if (string.IsNullOrWhiteSpace(item.Data)) continue;
            int before = job.Choices.Count(c => c.Finish is not null);
            using (var doc = JsonDocument.Parse(item.Data))
                CompletionResponseReader.Apply(doc.RootElement, job);
            int after = job.Choices.Count(c => c.Finish is not null);
            if (onEvent is not null) await onEvent(job).ConfigureAwait(false);
            if (after > before) finish.Add(after - before);
        }
        for (int i = 0; i < job.N; i++)
            if (job.Choices[i].Finish is null)
                throw new MalformedResponseException($"choices[{i}].finish_reason", done
                    ? "the stream said [DONE] before this row finished"
                    : "the stream ended before this row finished (and before [DONE])");
    }

    private async Task ThrowForStatusAsync(HttpResponseMessage response, CancellationToken token)
    {
        string text;
        try { text = await response.Content.ReadAsStringAsync(token).ConfigureAwait(false); }
        catch (Exception e) when (e is not OperationCanceledException) { text = ""; }
        string message = text;
        try
        {
            using var doc = JsonDocument.Parse(text);
            if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("error", out var error))
                message = CompletionResponseReader.ErrorMessage(error);
            else if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String)
                message = m.GetString()!;
        }
        catch (JsonException) { }
        if (message.Length > 500) message = message[..500] + "...";
        if (response.StatusCode is HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity && MentionsContext(message))
            throw new ArgumentException($"The prompt plus prefix is longer than the context of model '{Options.Model}' at '{_completionsUri}': {message}", "request.Prompt");
        throw new OpenAICompatibleServerException(_completionsUri, Options.Model, response.StatusCode, null,
            string.IsNullOrWhiteSpace(message) ? "the server refused the request." : "the server refused the request: " + message);
    }

    private static bool MentionsContext(string message) =>
        message.Contains("context length", StringComparison.OrdinalIgnoreCase)
        || message.Contains("context size", StringComparison.OrdinalIgnoreCase)
        || message.Contains("context window", StringComparison.OrdinalIgnoreCase)
        || message.Contains("maximum context", StringComparison.OrdinalIgnoreCase);

    private async Task<SampleResult> AssembleAsync(SampleRequest request, List<CompletionJob> jobs, TimeSpan elapsed)
    {
        var completions = new List<Completion>(request.RowCount);
        long prompt = 0, generated = 0;
        bool estimated = false;
        var delimiter = request.Options.StepDelimiter;
        foreach (var job in jobs)
        {
            long jobGenerated = 0;
            for (int i = 0; i < job.N; i++)
            {
                var state = job.Choices[i];
                var reason = MapFinish(state, delimiter, request.Options.StopSequences);
                var text = state.Text.ToString();
                if (reason == FinishReason.StepBoundary && !text.EndsWith(delimiter!, StringComparison.Ordinal)) text += delimiter;

                int count;
                IReadOnlyList<int> ids;
                if (state.TokensFromServer)
                {
                    count = state.TokenCount;
                    ids = state.TokenIds is { Count: var c } && c == count ? state.TokenIds.ToArray() : Enumerable.Repeat(-1, count).ToArray();
                }
                else
                {
                    if (job.N == 1 && job.Completed && job.CompletionTokens is { } total) count = (int)Math.Min(int.MaxValue, total);
                    else
                    {
                        var (n, est) = await _tokens.CountAsync(state.Text.ToString(), CancellationToken.None).ConfigureAwait(false);
                        count = n;
                        estimated |= est;
                    }
                    ids = Enumerable.Repeat(-1, count).ToArray();
                }
                jobGenerated += count;
                completions.Add(new Completion
                {
                    PrefixIndex = job.PrefixIndex,
                    Text = text,
                    TokenIds = ids,
                    Logprobs = request.Options.IncludeLogprobs && state.Logprobs is { } lp && lp.Count == count ? lp.ToArray() : null,
                    FinishReason = reason,
                });
            }
            generated += job.Completed && job.CompletionTokens is { } reported ? reported : jobGenerated;
            if (job.Sent)
            {
                if (job.PromptTokens is { } p) prompt += p;
                else
                {
                    var (n, est) = await _tokens.CountAsync(request.Prompt + job.Prefix, CancellationToken.None).ConfigureAwait(false);
                    prompt += n;
                    estimated |= est;
                }
            }
        }
        var usage = new Usage { PromptTokens = prompt, GeneratedTokens = generated, WallTime = elapsed, TokensEstimated = estimated };
        return new SampleResult(completions, usage);
    }

    private static FinishReason MapFinish(ChoiceState state, string? delimiter, IReadOnlyList<string> stops)
    {
        switch (state.Finish)
        {
            case null: return FinishReason.Abandoned;
            case "length": return FinishReason.Length;
            case "abort": return FinishReason.Abandoned;
        }
        if (delimiter is null) return FinishReason.Stop;
        if (state.ReportedMatch) return state.MatchedStop == delimiter ? FinishReason.StepBoundary : FinishReason.Stop;
        var text = state.Text.ToString();
        // The tokens' texts include the stop string the server cut from the text (or the EOS token): what follows the
        // text in them is what stopped the row.
        if (state.TokenTextsUsable && state.TokenTexts is { } joined && state.TokenCount > 0)
        {
            var tokens = joined.ToString();
            // Every token accounted for by the text: the last one had no text, an end-of-sequence token.
            if (tokens == text) return FinishReason.Stop;
            if (tokens.Length > text.Length && tokens.StartsWith(text, StringComparison.Ordinal))
                return tokens.AsSpan(text.Length).StartsWith(delimiter, StringComparison.Ordinal) ? FinishReason.StepBoundary : FinishReason.Stop;
        }
        // The server kept the stop string (e.g. include_stop_str_in_output): the text itself tells.
        if (text.EndsWith(delimiter, StringComparison.Ordinal)) return FinishReason.StepBoundary;
        if (stops.Any(s => text.EndsWith(s, StringComparison.Ordinal))) return FinishReason.Stop;
        return FinishReason.StepBoundary;
    }

    private OpenAICompatibleServerException Fail(HttpStatusCode? status, string? field, string detail, Exception? inner) =>
        new(_completionsUri, Options.Model, status, field, detail, inner);

    private static string DetailOf(OpenAICompatibleServerException e)
    {
        int cut = e.Message.IndexOf("): ", StringComparison.Ordinal);
        return cut >= 0 ? e.Message[(cut + 3)..] : e.Message;
    }

    internal static Uri NormalizeEndpoint(Uri endpoint) =>
        endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/");

    internal static void AddAuthorization(HttpRequestMessage message, OpenAICompatibleSamplerOptions options)
    {
        if (!string.IsNullOrEmpty(options.ApiKey))
            message.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.ApiKey);
    }

    /// <summary>Counts finished rows across a call's streams and stops the call once enough have finished.</summary>
    private sealed class FinishCounter(int target, CancellationTokenSource stop)
    {
        private int _finished;
        private volatile bool _reached;

        public bool Reached => _reached;

        public void Add(int count)
        {
            if (Interlocked.Add(ref _finished, count) >= target && !_reached)
            {
                _reached = true;
                stop.Cancel();
            }
        }
    }
}
