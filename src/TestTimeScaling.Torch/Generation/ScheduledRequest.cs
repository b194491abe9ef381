using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// One <see cref="GenerationEngine.SampleAsync"/> call inside a <see cref="DecodeScheduler"/>: its rows, its own
/// sampling options, seeded generator, stops, token allowance, cancellation and usage. The scheduler's thread is
/// the only one that touches it after it is queued.
/// </summary>
internal sealed class ScheduledRequest
{
    private readonly TaskCompletionSource<SampleResult> _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<KvCache> _retired = [];
    private readonly List<SampleRow> _retiredRows = [];
    private readonly StopScanner _scanner;
    private readonly long? _allowance;
    private long _generated;
    private int _finished;
    private Generator? _generator;

    public ScheduledRequest(GenerationEngine engine, SampleRequest request, int[][] contexts, int promptLength, int capacity, CancellationToken cancellationToken,
        SampleStream? stream = null)
    {
        Stream = stream;
        Engine = engine;
        Request = request;
        Contexts = contexts;
        PromptLength = promptLength;
        Capacity = capacity;
        CancellationToken = cancellationToken;
        Meter = new UsageMeter(engine.Model);
        _scanner = new StopScanner(request.Options);
        _allowance = request.MaxTotalNewTokens;
        for (int p = 0; p < contexts.Length; p++)
            for (int n = 0; n < request.N; n++) Rows.Add(new SampleRow(p, contexts[p]));
        // The engine's caches keep the default sharing threshold.
        Footprint = KvFootprint.Of(contexts, promptLength, request.N, capacity, KvCache.DefaultMinSharedTokens);
    }

    public GenerationEngine Engine { get; }
    public SampleRequest Request { get; }
    public SamplingOptions Options => Request.Options;
    public int[][] Contexts { get; }
    public int PromptLength { get; }

    /// <summary>Tokens each of its rows may need to hold.</summary>
    public int Capacity { get; }

    /// <summary>What its rows are expected to hold in the batch's KV cache (shared segments counted once).</summary>
    public KvFootprint Footprint { get; }

    public CancellationToken CancellationToken { get; }
    public UsageMeter Meter { get; }

    /// <summary>Every row of the call, in the order its completions are reported.</summary>
    public List<SampleRow> Rows { get; } = [];

    /// <summary>Rows still decoding, in the order they sit in the batch (indices into <see cref="Rows"/>).</summary>
    public List<int> Live { get; private set; } = [];

    /// <summary>Where a streaming call's updates go (<see cref="GenerationEngine.StreamAsync"/>); null for a plain call.</summary>
    public SampleStream? Stream { get; }

    /// <summary>The running prefill, while the call is being admitted.</summary>
    public PrefillJob? Prefill { get; set; }

    /// <summary>The generator its rows draw from (created when it joins the batch).</summary>
    public Generator Generator => _generator ?? throw new InvalidOperationException("The request has not joined the batch.");

    /// <summary>Set when the call has decided to end (all rows finished, enough finished, or cancelled).</summary>
    public bool Ending { get; private set; }

    public bool Canceled { get; private set; }

    public Task<SampleResult> Completion => _completion.Task;

    /// <summary>
    /// Turns the prefill's one row per prefix into N rows per prefix (the fork) and returns its head outputs, one
    /// row per live row.
    /// </summary>
    public (KvCache Cache, Tensor Logits) Fork(KvCache cache, Tensor logits)
    {
        _generator = new Generator((ulong)(Options.Seed ?? Random.Shared.NextInt64()), Engine.Model.Device);
        Live = Enumerable.Range(0, Rows.Count).ToList();
        if (Request.N == 1) return (cache, logits);
        var fork = Rows.Select(r => r.PrefixIndex).ToList();
        cache.SelectRows(fork);
        using var index = tensor(fork.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64, device: logits.device);
        var forked = logits.index_select(0, index);
        logits.Dispose();
        return (cache, forked);
    }

    /// <summary>Stops the call before its next token (its rows leave the batch at this step's compaction).</summary>
    public void Cancel()
    {
        Canceled = true;
        Ending = true;
    }

    /// <summary>
    /// Takes this step's tokens for the live rows, checks stops and the allowance, and returns which of the live
    /// rows go on (positions in <see cref="Live"/>). Exactly the per-step rules of a call run alone.
    /// </summary>
    public List<int> Absorb(ReadOnlySpan<long> tokens, ReadOnlySpan<float> logprobs, IReadOnlyList<long> cachedLengths)
    {
        // The shared allowance pays rows in request order; rows it cannot pay stop here, cut at the budget.
        int paid = _allowance is { } a ? (int)Math.Clamp(a - _generated, 0, Live.Count) : Live.Count;
        _generated += paid;
        Meter.Generated(paid);

        var stillLive = new List<int>(Live.Count);
        for (int i = 0; i < Live.Count; i++)
        {
            var row = Rows[Live[i]];
            if (i >= paid)
            {
                row.Finish = FinishReason.Length;
                _finished++;
                if (Stream is not null) Report(Live[i]);
                continue;
            }
            row.Generated.Add((int)tokens[i]);
            if (Options.IncludeLogprobs) row.Logprobs.Add(logprobs[i]);
            row.Finish = Engine.CheckFinish(row, _scanner, Options, cachedLengths[i]);
            if (row.Finish is null) stillLive.Add(i); else _finished++;
            if (Stream is not null) Report(Live[i]);
        }

        bool enough = Request.StopAfterFinished is { } k && _finished >= k;
        if (enough)
            foreach (int i in stillLive)
            {
                Rows[Live[i]].Finish = FinishReason.Abandoned;
                if (Stream is not null) Report(Live[i]);
            }
        if (enough || stillLive.Count == 0)
        {
            Ending = true;
            return [];
        }
        return stillLive;
    }

    /// <summary>Tells the stream how row <paramref name="r"/> stands after this step.</summary>
    private void Report(int r)
    {
        var row = Rows[r];
        if (row.Finish is null) Stream!.Progress(r, row);
        else Stream!.Finish(r, row, Engine.ToCompletion(row));
    }

    /// <summary>Keeps finished rows' cache (a copy the caller made) for the engine's cross-call reuse.</summary>
    public void Retire(KvCache? rows, IEnumerable<int> livePositions)
    {
        var finished = livePositions.Select(i => Rows[Live[i]]).ToList();
        if (rows is not null)
        {
            _retired.Add(rows);
            _retiredRows.AddRange(finished);
        }
    }

    /// <summary>Narrows <see cref="Live"/> to the rows that go on.</summary>
    public void Keep(IReadOnlyList<int> livePositions) => Live = livePositions.Select(i => Live[i]).ToList();

    /// <summary>Ends the call: hands its rows to the engine's prefix cache and reports the result (or the cancellation).</summary>
    public void Complete()
    {
        if (Canceled)
            foreach (int r in Live) Rows[r].Finish = FinishReason.Abandoned;
        Live = [];
        if (_retired.Count > 0)
            Engine.RetainRows(KvCache.Concatenate(_retired), _retiredRows.Select(r => r.CachedTokens()).ToList());
        _retired.Clear();
        _generator?.Dispose();
        var result = new SampleResult(Rows.Select(Engine.ToCompletion).ToList(), Meter.ToUsage());
        if (Stream is not null)
        {
            for (int r = 0; r < Rows.Count; r++) Stream.Finish(r, Rows[r], result.Completions[r]);
            Stream.Close();
        }
        if (Canceled) _completion.TrySetException(new SamplingCanceledException(result, CancellationToken));
        else _completion.TrySetResult(result);
    }

    /// <summary>Ends the call with an error; everything it holds is freed.</summary>
    public void Fail(Exception error)
    {
        foreach (var part in _retired) part.Dispose();
        _retired.Clear();
        Prefill?.Dispose();
        Prefill = null;
        _generator?.Dispose();
        Live = [];
        Stream?.Close();
        _completion.TrySetException(error);
    }

    /// <summary>Ends a call that was cancelled before any of its rows joined the batch.</summary>
    public void CancelBeforeJoining()
    {
        Prefill?.Dispose();
        Prefill = null;
        Canceled = true;
        Complete();
    }
}
