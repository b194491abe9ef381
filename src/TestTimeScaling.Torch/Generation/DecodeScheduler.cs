using System.Runtime.CompilerServices;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Runs every generation over one <see cref="LlamaDecoder"/> in one decode loop (continuous batching): concurrent
/// <see cref="GenerationEngine.SampleAsync"/> calls, from one engine or several, share each decode step. A new
/// call's prompt is prefilled in bounded pieces between steps and its rows join the batch; finished rows leave;
/// each call keeps its own options, seeded generator, stops, allowance, cancellation and usage.
/// </summary>
/// <remarks>
/// <para>There is one scheduler per decoder (<see cref="For"/>), and every engine over that decoder uses it, so
/// torch never runs two forward passes of one module at once: all of the decoder's generation work runs on the
/// scheduler's single loop, which lives on a background thread while there is work and ends when there is none.</para>
/// <para>Fair and bounded: calls are admitted first come, first served while the rows and KV memory in flight stay
/// within <see cref="Options"/>; the rest wait in the queue (a call never overtakes an earlier one that waits).</para>
/// <para>Exactness: a call's rows draw from its own generator, in its own row order, with its own options, so
/// with the same seed a call samples what it samples alone, up to the last-bit differences of running its
/// matrix products beside other rows (well inside 1e-5 on the logprobs; tests pin it).</para>
/// </remarks>
public sealed class DecodeScheduler
{
    private static readonly ConditionalWeakTable<LlamaDecoder, DecodeScheduler> Schedulers = new();

    private readonly object _lock = new();
    private readonly LinkedList<ScheduledRequest> _queue = new();
    private readonly long _bytesPerToken;
    private DecodeSchedulerOptions _options = new();
    private bool _driving;

    // Owned by the loop's thread.
    private readonly List<ScheduledRequest> _prefilling = [];
    private readonly List<ScheduledRequest> _members = [];
    private KvCache? _cache;
    private Tensor? _logits;
    private int _rowsInFlight, _activeRequests;
    private long _decodeSteps;

    /// <summary>The scheduler whose loop runs on this thread, if any.</summary>
    [ThreadStatic]
    private static DecodeScheduler? _loopThread;

    private DecodeScheduler(LlamaDecoder model)
    {
        Model = model;
        var c = model.Config;
        _bytesPerToken = 2L * c.NumHiddenLayers * c.NumKeyValueHeads * c.HeadDim * model.DType.ElementSize();
    }

    /// <summary>The scheduler of <paramref name="model"/> (created on first use; one per decoder).</summary>
    public static DecodeScheduler For(LlamaDecoder model)
    {
        ArgumentNullException.ThrowIfNull(model);
        return Schedulers.GetValue(model, m => new DecodeScheduler(m));
    }

    /// <summary>The decoder it runs.</summary>
    public LlamaDecoder Model { get; }

    /// <summary>Limits on what runs at once; a change applies to the calls admitted after it.</summary>
    public DecodeSchedulerOptions Options
    {
        get => Volatile.Read(ref _options);
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            Volatile.Write(ref _options, value);
        }
    }

    /// <summary>Calls waiting for room.</summary>
    public int QueuedRequests
    {
        get { lock (_lock) return _queue.Count; }
    }

    /// <summary>Calls being prefilled or decoded.</summary>
    public int ActiveRequests => Volatile.Read(ref _activeRequests);

    /// <summary>Rows being prefilled or decoded.</summary>
    public int RowsInFlight => Volatile.Read(ref _rowsInFlight);

    /// <summary>Decode steps (batched forward passes after prefill) run so far.</summary>
    public long DecodeSteps => Interlocked.Read(ref _decodeSteps);

    /// <summary>After every decode step: the rows and the calls it decoded (tests watch calls join and leave).</summary>
    internal Action<int, int>? DecodeStepRan { get; set; }

    /// <summary>After every prefill forward pass: the calls, the rows and the padded tokens it fed (tests watch calls prefill together).</summary>
    internal Action<int, int, int>? PrefillPassRan { get; set; }

    /// <summary>Queues a call; the loop runs it on its own thread.</summary>
    internal Task<SampleResult> Submit(ScheduledRequest request)
    {
        bool start;
        lock (_lock)
        {
            _queue.AddLast(request);
            start = !_driving;
            _driving = true;
        }
        if (start) StartBackgroundLoop();
        return request.Completion;
    }

    /// <summary>
    /// Queues a call and waits for it; when no loop runs, runs the loop on the calling thread until the call ends
    /// (then hands any remaining work to a background loop). Tests use it to keep every tensor on their thread.
    /// </summary>
    internal SampleResult Run(ScheduledRequest request)
    {
        // Waiting on the loop from inside it (a step callback calling Generate) could never end.
        if (_loopThread == this)
            throw new InvalidOperationException("A synchronous generation was started from the decode loop's own thread; use SampleAsync there.");
        bool drive;
        lock (_lock)
        {
            _queue.AddLast(request);
            drive = !_driving;
            _driving = true;
        }
        if (drive) Drive(request);
        return request.Completion.GetAwaiter().GetResult();
    }

    /// <summary>
    /// Runs the loop on a thread-pool thread: pool threads are reused, and with them torch's per-thread state (its
    /// intra-op thread team), which a fresh thread per busy period would rebuild.
    /// </summary>
    private void StartBackgroundLoop() => Task.Run(() => Drive(null));

    /// <summary>The loop: one iteration per decode step, until there is no work (or <paramref name="until"/> ended).</summary>
    private void Drive(ScheduledRequest? until)
    {
        var outer = _loopThread;
        _loopThread = this;
        try
        {
            DriveLoop(until);
        }
        finally
        {
            _loopThread = outer;
        }
    }

    private void DriveLoop(ScheduledRequest? until)
    {
        while (true)
        {
            lock (_lock)
            {
                if (_queue.Count == 0 && _prefilling.Count == 0 && _members.Count == 0)
                {
                    _driving = false;
                    return;
                }
            }
            if (until is not null && until.Completion.IsCompleted)
            {
                StartBackgroundLoop(); // the loop stays marked as running: the new thread takes it over
                return;
            }
            try
            {
                Iterate();
            }
            catch (Exception error)
            {
                FailAll(error);
            }
            finally
            {
                Volatile.Write(ref _rowsInFlight, _members.Sum(m => m.Live.Count) + _prefilling.Sum(p => p.Rows.Count));
                Volatile.Write(ref _activeRequests, _members.Count + _prefilling.Count);
            }
        }
    }

    private void Iterate()
    {
        using var noGrad = no_grad();
        DropCanceledQueued();
        RunPrefill(Options);
        if (_members.Count > 0) DecodeStep();
    }

    private void DropCanceledQueued()
    {
        List<ScheduledRequest> canceled;
        lock (_lock)
        {
            canceled = _queue.Where(r => r.CancellationToken.IsCancellationRequested).ToList();
            foreach (var r in canceled) _queue.Remove(r);
        }
        foreach (var r in canceled) r.CancelBeforeJoining();
    }

    /// <summary>
    /// Admits what fits, then runs prefill passes until this step's token budget is spent. Each pass feeds the next
    /// piece of every prefill under way that fits the budget together (one padded, ragged forward pass across
    /// calls), so calls that arrive together prefill together.
    /// </summary>
    private void RunPrefill(DecodeSchedulerOptions options)
    {
        int spent = 0;
        while (true)
        {
            Admit(options);
            DropCanceledPrefills();
            if (_prefilling.Count == 0) return;
            // Running rows wait for at most one budget of prefill tokens per step (a pass is never larger).
            if (spent >= options.PrefillChunkTokens && _members.Count > 0) return;
            var batch = PlanPrefillPass(options.PrefillChunkTokens, out int rows, out int padded);
            try
            {
                RunPrefillPass(batch);
            }
            catch (Exception error)
            {
                foreach (var job in batch)
                {
                    _prefilling.Remove(job);
                    job.Fail(error);
                }
                continue;
            }
            spent += padded;
            PrefillPassRan?.Invoke(batch.Count, rows, padded);
            var done = batch.Where(j => j.Prefill!.IsDone).ToList();
            if (done.Count > 0) Join(done);
        }
    }

    private void DropCanceledPrefills()
    {
        for (int i = _prefilling.Count - 1; i >= 0; i--)
        {
            var job = _prefilling[i];
            if (!job.CancellationToken.IsCancellationRequested) continue;
            _prefilling.RemoveAt(i);
            job.CancelBeforeJoining();
        }
    }

    /// <summary>
    /// The prefills whose next pieces run in the next pass: first come first served, while the padded batch (rows x
    /// widest row) stays within <paramref name="budget"/>; the first always runs (its piece alone is within it).
    /// </summary>
    private List<ScheduledRequest> PlanPrefillPass(int budget, out int rows, out int padded)
    {
        var batch = new List<ScheduledRequest>();
        int width = 0;
        rows = 0;
        foreach (var job in _prefilling)
        {
            var piece = job.Prefill!.Next();
            int r = rows + piece.Tokens.Count, w = Math.Max(width, piece.Width);
            if (batch.Count > 0 && (long)r * w > budget) break;
            batch.Add(job);
            (rows, width) = (r, w);
        }
        padded = rows * width;
        return batch;
    }

    /// <summary>
    /// Runs the planned pieces of <paramref name="batch"/> as one forward pass: their caches are stacked, fed
    /// together (ragged rows, padded), and each call gets its rows and head outputs back. Each call is charged for
    /// its own rows and tokens.
    /// </summary>
    private void RunPrefillPass(List<ScheduledRequest> batch)
    {
        if (batch.Count == 1)
        {
            batch[0].Prefill!.Step();
            return;
        }
        var pieces = batch.Select(j => j.Prefill!.Next()).ToList();
        using var combined = KvCache.Concatenate(pieces.Select(p => p.Cache).ToList());
        using var logits = PrefixCache.Feed(Model, combined, pieces.SelectMany(p => p.Tokens).ToList());
        int offset = 0;
        for (int i = 0; i < batch.Count; i++)
        {
            var job = batch[i].Prefill!;
            int rows = pieces[i].Tokens.Count;
            job.Meter.Forward(combined, offset, rows, pieces[i].RealTokens);
            job.Meter.Prefilled(pieces[i].RealTokens);
            var own = combined.CopyRows(Enumerable.Range(offset, rows).ToList());
            job.Advance(logits.narrow(0, offset, rows).clone(), own);
            offset += rows;
        }
    }

    /// <summary>Starts the prefill of queued calls, first come first served, while they fit the limits.</summary>
    private void Admit(DecodeSchedulerOptions options)
    {
        while (true)
        {
            ScheduledRequest? next;
            lock (_lock)
            {
                next = _queue.First?.Value;
                if (next is null || !Fits(next, options)) return;
                _queue.RemoveFirst();
            }
            if (next.CancellationToken.IsCancellationRequested)
            {
                next.CancelBeforeJoining();
                continue;
            }
            try
            {
                next.Prefill = next.Engine.BeginPrefill(next, options.PrefillChunkTokens);
                _prefilling.Add(next);
            }
            catch (Exception error)
            {
                next.Fail(error);
            }
        }
    }

    /// <summary>
    /// Whether <paramref name="request"/> can start beside what runs: the rows within <see cref="DecodeSchedulerOptions.MaxRows"/>
    /// and the batch's KV cache within <see cref="DecodeSchedulerOptions.MaxKvCacheBytes"/>, counting every shared
    /// segment (a forked prompt) once and each row's own suffix (<see cref="KvFootprint"/>).
    /// </summary>
    private bool Fits(ScheduledRequest request, DecodeSchedulerOptions options)
    {
        int rows = _members.Sum(m => m.Live.Count) + _prefilling.Sum(p => p.Rows.Count);
        if (rows == 0) return true; // alone, a call too large for the limits still runs
        if (rows + request.Rows.Count > options.MaxRows) return false;
        // A prefill under way is counted as the rows it will fork to, so admission never depends on how far it got.
        var calls = _members.Select(m => (m.Live.Count, m.Footprint))
            .Concat(_prefilling.Select(p => (p.Rows.Count, p.Footprint)))
            .Append((request.Rows.Count, request.Footprint));
        return KvFootprint.BatchBytes(calls, _bytesPerToken) <= options.MaxKvCacheBytes;
    }

    /// <summary>
    /// Finished prefills' rows (forked to N per prefix) are appended to the batch, their logits with them, in one
    /// concatenation for all of them.
    /// </summary>
    private void Join(List<ScheduledRequest> requests)
    {
        var caches = new List<KvCache>();
        var logits = new List<Tensor>();
        foreach (var request in requests)
        {
            _prefilling.Remove(request);
            var job = request.Prefill!;
            request.Prefill = null;
            var (cache, rowLogits) = job.TakeResult();
            job.Dispose();
            try
            {
                (cache, rowLogits) = request.Fork(cache, rowLogits);
            }
            catch (Exception error)
            {
                cache.Dispose();
                rowLogits.Dispose();
                request.Fail(error);
                continue;
            }
            caches.Add(cache);
            logits.Add(rowLogits);
            _members.Add(request);
        }
        if (caches.Count == 0) return;
        if (_cache is not null)
        {
            caches.Insert(0, _cache);
            logits.Insert(0, _logits!);
        }
        _cache = KvCache.Concatenate(caches);
        if (logits.Count == 1)
        {
            _logits = logits[0];
            return;
        }
        _logits = cat(logits.ToArray(), 0);
        foreach (var part in logits) part.Dispose();
    }

    /// <summary>One step: every call samples its rows, finished rows leave, and the rest run one forward pass together.</summary>
    private void DecodeStep()
    {
        foreach (var m in _members)
            if (!m.Ending && m.CancellationToken.IsCancellationRequested) m.Cancel();

        var offsets = new int[_members.Count];
        for (int i = 1; i < offsets.Length; i++) offsets[i] = offsets[i - 1] + _members[i - 1].Live.Count;
        var failures = new Dictionary<ScheduledRequest, Exception>();
        var keep = new List<int>[_members.Count];
        Sample(offsets, keep, failures);
        _logits!.Dispose();
        _logits = null;

        // Compaction: rows that finished leave the batch; a finished call's rows go to its engine for reuse.
        var batchKeep = new List<int>(_cache!.RowCount);
        var ended = new List<ScheduledRequest>();
        for (int i = 0; i < _members.Count; i++)
        {
            var m = _members[i];
            if (failures.ContainsKey(m)) { ended.Add(m); continue; }
            List<int> goOn = m.Ending ? [] : keep[i];
            if (goOn.Count < m.Live.Count)
            {
                var leaving = Enumerable.Range(0, m.Live.Count).Except(goOn).ToList();
                m.Retire(m.Engine.ReusesCache ? _cache.CopyRows(leaving.Select(p => offsets[i] + p).ToList()) : null, leaving);
            }
            batchKeep.AddRange(goOn.Select(p => offsets[i] + p));
            if (m.Ending) ended.Add(m); else m.Keep(goOn);
        }
        if (batchKeep.Count == 0)
        {
            _cache.Dispose();
            _cache = null;
        }
        else if (batchKeep.Count < _cache.RowCount)
        {
            _cache.SelectRows(batchKeep);
        }
        _members.RemoveAll(ended.Contains);
        foreach (var m in ended)
        {
            if (failures.TryGetValue(m, out var error)) m.Fail(error);
            else m.Complete();
        }
        if (_cache is not null) Forward();
    }

    /// <summary>Samples the rows of every call that goes on, one pass per group of calls with the same sampling settings.</summary>
    private void Sample(int[] offsets, List<int>[] keep, Dictionary<ScheduledRequest, Exception> failures)
    {
        var groups = Enumerable.Range(0, _members.Count).Where(i => !_members[i].Ending).GroupBy(i => SamplingKey(_members[i]));
        foreach (var group in groups)
        {
            var members = group.ToList();
            var first = _members[members[0]];
            var options = first.Options with { IncludeLogprobs = members.Any(i => _members[i].Options.IncludeLogprobs) };
            var rows = members.SelectMany(i => Enumerable.Range(offsets[i], _members[i].Live.Count)).ToList();
            var segments = members.Select(i => new DrawSegment(_members[i].Live.Count, _members[i].Generator)).ToList();
            long[] tokens;
            float[] logprobs;
            if (rows.Count == _logits!.shape[0])
            {
                (tokens, logprobs) = TokenSampler.Sample(_logits, options, segments, first.Engine.DrawMethod);
            }
            else
            {
                using var index = tensor(rows.Select(r => (long)r).ToArray(), dtype: ScalarType.Int64, device: _logits.device);
                using var part = _logits.index_select(0, index);
                (tokens, logprobs) = TokenSampler.Sample(part, options, segments, first.Engine.DrawMethod);
            }
            int at = 0;
            foreach (int i in members)
            {
                var m = _members[i];
                int n = m.Live.Count;
                var lengths = Enumerable.Range(offsets[i], n).Select(r => _cache!.Lengths[r]).ToArray();
                try
                {
                    keep[i] = m.Absorb(tokens.AsSpan(at, n), logprobs.AsSpan(at, n), lengths);
                }
                catch (Exception error)
                {
                    failures[m] = error;
                }
                at += n;
            }
        }
    }

    private static (double, int?, double?, double?, TokenDrawMethod) SamplingKey(ScheduledRequest r) =>
        (r.Options.Temperature, r.Options.TopK, r.Options.TopP, r.Options.MinP, r.Engine.DrawMethod);

    /// <summary>Feeds every live row its last token in one forward pass; each call is charged for its own rows.</summary>
    private void Forward()
    {
        var cache = _cache!;
        var lastTokens = _members.SelectMany(m => m.Live.Select(r => (long)m.Rows[r].Generated[^1])).ToArray();
        using (var scope = NewDisposeScope())
        {
            using var input = tensor(lastTokens, [lastTokens.Length, 1], dtype: ScalarType.Int64, device: Model.Device);
            _logits = Model.Forward(input, cache, Enumerable.Repeat(1L, lastTokens.Length).ToArray()).MoveToOuterDisposeScope();
        }
        for (int i = 0, offset = 0; i < _members.Count; offset += _members[i].Live.Count, i++)
            _members[i].Meter.Forward(cache, offset, _members[i].Live.Count, _members[i].Live.Count);
        Interlocked.Increment(ref _decodeSteps);
        foreach (var engine in _members.Select(m => m.Engine).Distinct()) engine.OnDecodeStep();
        DecodeStepRan?.Invoke(lastTokens.Length, _members.Count);
    }

    /// <summary>A failure outside any one call (a forward pass): every running call ends with it, and the batch is freed.</summary>
    private void FailAll(Exception error)
    {
        foreach (var m in _members) m.Fail(error);
        foreach (var p in _prefilling) p.Fail(error);
        _members.Clear();
        _prefilling.Clear();
        _logits?.Dispose();
        _logits = null;
        _cache?.Dispose();
        _cache = null;
    }
}
