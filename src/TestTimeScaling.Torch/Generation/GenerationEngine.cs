using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// The in-process sampler: a <see cref="LlamaDecoder"/> with a batched KV cache. The prompt is
/// prefilled once and forked to every row; rows decode together, finish independently and are
/// compacted away; cached rows are reused by later calls that share their tokens.
/// </summary>
/// <remarks>Calls are serialized (one generation at a time per engine); the engine is safe to share.</remarks>
public sealed class GenerationEngine : ISampler, IDisposable
{
    private readonly LlamaDecoder _model;
    private readonly ITextTokenizer _tokenizer;
    private readonly GenerationEngineOptions _options;
    private readonly PrefixCache _prefixCache = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
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

    /// <inheritdoc />
    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (request.RowCount > _options.MaxRowsPerRequest)
            throw new ArgumentException($"The request asks for {request.RowCount} rows (prefixes x N); this engine allows {_options.MaxRowsPerRequest}.", nameof(request));
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Torch work is synchronous: run it off the caller's thread, in one thread for dispose scopes.
            return await Task.Run(() => Generate(request, cancellationToken), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>
    /// Runs after every decode step's forward pass with the engine's running count of decode steps (tests cancel
    /// at step k with it and count the steps that still run).
    /// </summary>
    internal Action<long>? DecodeStepCompleted { get; set; }

    /// <summary>Decode steps run by this engine so far (forward passes after the prefill).</summary>
    internal long DecodeSteps => Interlocked.Read(ref _decodeSteps);

    private long _decodeSteps;

    /// <summary>Runs one request on the calling thread (tests call it directly to count live tensors).</summary>
    /// <remarks>
    /// Every tensor it makes is disposed on every way out (finished, cancelled, or thrown): the step's logits are
    /// held in one variable that the <c>finally</c> disposes, and the cache rows either move to the prefix cache or
    /// are disposed.
    /// </remarks>
    internal SampleResult Generate(SampleRequest request, CancellationToken cancellationToken)
    {
        var options = request.Options;
        var meter = new UsageMeter(_model);
        var (contexts, promptLength) = Tokenize(request);
        int context = _model.Config.MaxPositionEmbeddings;
        int capacity = Math.Min(context, contexts.Max(c => c.Length) + options.MaxNewTokens);
        long? allowance = request.MaxTotalNewTokens;
        long generated = 0;

        using var noGrad = no_grad();
        KvCache? cache = null;
        Tensor? logits = null;
        var retired = new List<KvCache>();
        var retiredRows = new List<SampleRow>();
        var rows = new List<SampleRow>(request.RowCount);
        var live = new List<int>();
        bool canceled = false;
        try
        {
            (cache, logits) = _prefixCache.Prepare(_model, contexts, promptLength, capacity, meter);

            // Fork: every prefix row becomes N rows sharing its cache.
            var fork = new List<int>(request.RowCount);
            for (int p = 0; p < contexts.Length; p++)
                for (int n = 0; n < request.N; n++) { rows.Add(new SampleRow(p, contexts[p])); fork.Add(p); }
            if (request.N > 1)
            {
                cache.SelectRows(fork);
                using var index = tensor(fork.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64, device: logits.device);
                var forked = logits.index_select(0, index);
                logits.Dispose();
                logits = forked;
            }

            var scanner = new StopScanner(options);
            using var generator = new Generator((ulong)(options.Seed ?? Random.Shared.NextInt64()), _model.Device);
            live = Enumerable.Range(0, rows.Count).ToList(); // rows[live[i]] sits in cache row i
            int finished = 0;
            while (live.Count > 0)
            {
                if (cancellationToken.IsCancellationRequested) { canceled = true; break; }
                var (tokens, logprobs) = TokenSampler.Sample(logits, options, generator, _options.DrawMethod);
                logits.Dispose();
                logits = null;
                // The shared allowance pays rows in request order; rows it cannot pay stop here, cut at the budget.
                int paid = allowance is { } a ? (int)Math.Clamp(a - generated, 0, live.Count) : live.Count;
                generated += paid;
                meter.Generated(paid);

                var stillLive = new List<int>(live.Count);
                for (int i = 0; i < live.Count; i++)
                {
                    var row = rows[live[i]];
                    if (i >= paid)
                    {
                        row.Finish = FinishReason.Length;
                        finished++;
                        continue;
                    }
                    row.Generated.Add((int)tokens[i]);
                    if (options.IncludeLogprobs) row.Logprobs.Add(logprobs[i]);
                    row.Finish = CheckFinish(row, scanner, options, cache.Lengths[i], context);
                    if (row.Finish is null) stillLive.Add(i); else finished++;
                }

                bool enough = request.StopAfterFinished is { } k && finished >= k;
                if (enough)
                    foreach (int i in stillLive) rows[live[i]].Finish = FinishReason.Abandoned;
                if (enough || stillLive.Count == 0)
                    break;

                if (stillLive.Count < live.Count)
                {
                    // Compact: finished rows leave the batch (kept aside for reuse by the next call).
                    var done = Enumerable.Range(0, live.Count).Except(stillLive).ToList();
                    if (_options.ReuseCacheAcrossCalls)
                    {
                        retired.Add(cache.CopyRows(done));
                        retiredRows.AddRange(done.Select(i => rows[live[i]]));
                    }
                    cache.SelectRows(stillLive);
                    live = stillLive.Select(i => live[i]).ToList();
                }

                logits = DecodeStep(cache, live.Select(r => rows[r].Generated[^1]).ToArray(), meter);
                long step = Interlocked.Increment(ref _decodeSteps);
                DecodeStepCompleted?.Invoke(step);
            }
        }
        catch
        {
            cache?.Dispose();
            foreach (var part in retired) part.Dispose();
            throw;
        }
        finally
        {
            // A cancelled or failed call leaves the last step's logits unread: they must not outlive it.
            logits?.Dispose();
        }

        if (canceled)
            foreach (int r in live) rows[r].Finish = FinishReason.Abandoned;
        retired.Add(cache!);
        retiredRows.AddRange(live.Select(r => rows[r]));
        _prefixCache.Retain(KvCache.Concatenate(retired), retiredRows.Select(r => r.CachedTokens()).ToList(), _options.ReuseCacheAcrossCalls);

        var result = new SampleResult(rows.Select(ToCompletion).ToList(), meter.ToUsage());
        if (canceled) throw new SamplingCanceledException(result, cancellationToken);
        return result;
    }

    private Tensor DecodeStep(KvCache cache, int[] lastTokens, UsageMeter meter)
    {
        using var scope = NewDisposeScope();
        using var input = tensor(lastTokens.Select(t => (long)t).ToArray(), [lastTokens.Length, 1], dtype: ScalarType.Int64, device: _model.Device);
        long keyLength = cache.Lengths.Max() + 1;
        var logits = _model.Forward(input, cache, Enumerable.Repeat(1L, lastTokens.Length).ToArray());
        meter.Forward(cache, lastTokens.Length, lastTokens.Length, keyLength);
        return logits.MoveToOuterDisposeScope();
    }

    private FinishReason? CheckFinish(SampleRow row, StopScanner scanner, SamplingOptions options, long cachedLength, int context)
    {
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

    private Completion ToCompletion(SampleRow row) => new()
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
        _gate.Dispose();
    }
}
