using System.Runtime.CompilerServices;
using System.Threading.Channels;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// The in-process sampler: a <see cref="LlamaDecoder"/> with a batched KV cache. The prompt is
/// prefilled once and forked to every row; rows decode together, finish independently and are
/// compacted away; cached rows are reused by later calls that share their tokens. Concurrent calls are batched
/// together (continuous batching).
/// </summary>
/// <remarks>
/// Safe to share: calls made at the same time, from any thread and from any engine over the same decoder, run
/// in the decoder's one decode loop (<see cref="DecodeScheduler"/>) and share its decode steps.
/// </remarks>
public sealed class GenerationEngine : IStreamingSampler, IDisposable
{
    private readonly LlamaDecoder _model;
    private readonly ITextTokenizer _tokenizer;
    private readonly GenerationEngineOptions _options;
    private readonly PrefixCache _prefixCache = new();
    private readonly DecodeScheduler _scheduler;
    private readonly HashSet<int> _eos;
    private bool _disposed;

    /// <summary>Creates an engine over a loaded model and its tokenizer.</summary>
    public GenerationEngine(LlamaDecoder model, ITextTokenizer tokenizer, GenerationEngineOptions? options = null)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        _tokenizer = tokenizer ?? throw new ArgumentNullException(nameof(tokenizer));
        if (model.Config.IsTokenClassifier)
            throw new ArgumentException($"A {model.Config.Architecture} has no language-model head and cannot generate.", nameof(model));
        _options = options ?? new GenerationEngineOptions();
        _eos = [.. tokenizer.EosTokenIds, .. model.Config.EosTokenIds];
        _model.eval();
        _scheduler = DecodeScheduler.For(model);
        Capabilities = new SamplerCapabilities
        {
            MaxRowsPerRequest = _options.MaxRowsPerRequest,
            ContextLength = model.Config.MaxPositionEmbeddings,
            SharedTokenAllowance = true,
        };
    }

    /// <inheritdoc />
    public SamplerCapabilities Capabilities { get; }

    /// <summary>The model this engine runs.</summary>
    public LlamaDecoder Model => _model;

    /// <summary>The tokenizer this engine uses.</summary>
    public ITextTokenizer Tokenizer => _tokenizer;

    /// <summary>Rows of KV cache kept from the last call for reuse.</summary>
    public int RetainedCacheRows => _prefixCache.RetainedRows;

    /// <inheritdoc />
    public int CountTokens(string text) => _tokenizer.Encode(text).Count;

    /// <summary>The scheduler that runs this engine's calls (shared by every engine over the same decoder).</summary>
    public DecodeScheduler Scheduler => _scheduler;

    /// <inheritdoc />
    /// <remarks>
    /// The call joins the decoder's running batch (<see cref="DecodeScheduler"/>): calls made at the same time,
    /// from this engine or another over the same decoder, share decode steps; a call waits in the scheduler's queue
    /// while the batch is full.
    /// </remarks>
    public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        try
        {
            return _scheduler.Submit(Schedule(request, cancellationToken));
        }
        catch (Exception error)
        {
            return Task.FromException<SampleResult>(error);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The call runs in the decoder's batch like <see cref="SampleAsync"/> (same samples for the same seed); after
    /// each decode step the scheduler's thread decodes the call's live rows and hands on the text they gained. A
    /// reader that falls behind does not slow the batch: updates queue for it.
    /// </remarks>
    public async IAsyncEnumerable<SampleUpdate> StreamAsync(SampleRequest request, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var updates = Channel.CreateUnbounded<SampleUpdate>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
        // Cancelled when the reader leaves early, so the call's rows leave the batch at the next step.
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var scheduled = Schedule(request, call.Token, new SampleStream(_tokenizer, request.Options, updates.Writer));
        var completion = _scheduler.Submit(scheduled);
        try
        {
            while (await updates.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                while (updates.Reader.TryRead(out var update))
                {
                    yield return update;
                    // A reader that cancels gets no further update, even of a call that has already run to its end.
                    cancellationToken.ThrowIfCancellationRequested();
                }
            // The stream closed: the call ended. Its error or cancellation surfaces here.
            await Ended(completion, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (!completion.IsCompleted)
            {
                call.Cancel();
                try { await completion.ConfigureAwait(false); }
                catch (OperationCanceledException) { }
            }
        }
    }

    /// <summary>A streamed call's end: its cancellation names the caller's token, not the stream's own.</summary>
    private static async Task Ended(Task<SampleResult> completion, CancellationToken cancellationToken)
    {
        try
        {
            await completion.ConfigureAwait(false);
        }
        catch (SamplingCanceledException canceled) when (cancellationToken.IsCancellationRequested)
        {
            throw new SamplingCanceledException(canceled.Partial, cancellationToken);
        }
    }

    /// <summary>
    /// Runs after every decode step that included this engine's rows, with the engine's running count of decode
    /// steps (tests cancel at step k with it and count the steps that still run). Runs on the scheduler's thread.
    /// </summary>
    internal Action<long>? DecodeStepCompleted { get; set; }

    /// <summary>Decode steps that included rows of this engine so far (forward passes after the prefill).</summary>
    internal long DecodeSteps => Interlocked.Read(ref _decodeSteps);

    private long _decodeSteps;

    /// <summary>Runs one request, driving the scheduler on the calling thread when it is idle (tests call it directly to count live tensors).</summary>
    /// <remarks>
    /// Every tensor a call makes is disposed on every way out (finished, cancelled, or thrown): its rows either move
    /// to the prefix cache or are disposed, and the batch frees its cache when its last row leaves.
    /// </remarks>
    internal SampleResult Generate(SampleRequest request, CancellationToken cancellationToken) =>
        _scheduler.Run(Schedule(request, cancellationToken));

    /// <summary>Checks and tokenizes a request into a call the scheduler can run.</summary>
    private ScheduledRequest Schedule(SampleRequest request, CancellationToken cancellationToken, SampleStream? stream = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (request.RowCount > _options.MaxRowsPerRequest)
            throw new ArgumentException($"The request asks for {request.RowCount} rows (prefixes x N); this engine allows {_options.MaxRowsPerRequest}.", nameof(request));
        ObjectDisposedException.ThrowIf(_disposed, this);
        var (contexts, promptLength) = Tokenize(request);
        int capacity = Math.Min(_model.Config.MaxPositionEmbeddings, contexts.Max(c => c.Length) + request.Options.MaxNewTokens);
        return new ScheduledRequest(this, request, contexts, promptLength, capacity, cancellationToken, stream);
    }

    internal bool ReusesCache => _options.ReuseCacheAcrossCalls;

    internal TokenDrawMethod DrawMethod => _options.DrawMethod;

    /// <summary>Plans a call's prefill from this engine's retained rows.</summary>
    internal PrefillJob BeginPrefill(ScheduledRequest request, int chunkTokens) =>
        _prefixCache.Begin(_model, request.Contexts, request.PromptLength, request.Capacity, request.Meter, chunkTokens);

    /// <summary>Keeps a finished call's rows for the next call's prefix reuse (or frees them when reuse is off).</summary>
    internal void RetainRows(KvCache cache, List<int[]> tokensPerRow) => _prefixCache.Retain(cache, tokensPerRow, _options.ReuseCacheAcrossCalls);

    internal void OnDecodeStep()
    {
        long step = Interlocked.Increment(ref _decodeSteps);
        DecodeStepCompleted?.Invoke(step);
    }

    /// <summary>Whether a row that just took a token is done, and why.</summary>
    internal FinishReason? CheckFinish(SampleRow row, StopScanner scanner, SamplingOptions options, long cachedLength)
    {
        int context = _model.Config.MaxPositionEmbeddings;
        int last = row.Generated[^1];
        if (_eos.Contains(last))
        {
            row.Text = _tokenizer.Decode(row.Generated.Take(row.Generated.Count - 1));
            return FinishReason.Stop;
        }
        if (scanner.Active)
        {
            string text = _tokenizer.Decode(row.Generated);
            if (scanner.Scan(text, row.ScannedLength) is { } stop)
            {
                row.Text = text[..stop.KeepLength];
                return stop.Reason;
            }
            row.ScannedLength = text.Length;
        }
        // The next step would feed this token at position cachedLength; stop when that is past the context.
        if (row.Generated.Count >= options.MaxNewTokens || cachedLength + 1 >= context)
            return FinishReason.Length;
        return null;
    }

    internal Completion ToCompletion(SampleRow row) => new()
    {
        PrefixIndex = row.PrefixIndex,
        Text = row.Text ?? _tokenizer.Decode(row.Generated),
        TokenIds = row.Generated,
        Logprobs = row.Logprobs.Count > 0 ? row.Logprobs : null,
        FinishReason = row.Finish ?? FinishReason.Abandoned,
    };

    /// <summary>Token ids of prompt + prefix for every prefix, and how many of them are the prompt.</summary>
    private (int[][] Contexts, int PromptLength) Tokenize(SampleRequest request)
    {
        var prompt = new List<int>();
        if ((_options.AddBosToken ?? _tokenizer.AddBosToken) && _tokenizer.BosTokenId is { } bos) prompt.Add(bos);
        prompt.AddRange(_tokenizer.Encode(request.Prompt));
        if (prompt.Count == 0)
            throw new ArgumentException("The prompt encodes to no tokens and the tokenizer has no BOS token to start from.", nameof(request));
        int context = _model.Config.MaxPositionEmbeddings;
        var contexts = new int[request.Prefixes.Count][];
        for (int p = 0; p < contexts.Length; p++)
        {
            contexts[p] = [.. prompt, .. _tokenizer.Encode(request.Prefixes[p])];
            if (contexts[p].Length >= context)
                throw new ArgumentException(
                    $"The prompt{(request.Prefixes[p].Length > 0 ? $" with prefix {p}" : "")} is {contexts[p].Length} tokens; the model's context (max_position_embeddings) is {context}, which leaves no room to generate.",
                    nameof(request));
        }
        return (contexts, prompt.Count);
    }

    /// <summary>Frees the retained cache.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _prefixCache.Dispose();
    }
}
