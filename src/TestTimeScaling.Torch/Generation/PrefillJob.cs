using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// The prefill of one call, cut into forward passes of a bounded number of tokens so that a scheduler can run
/// decode steps of other requests between them (chunked prefill). Run to its end, it leaves one cache row per
/// sequence holding the whole sequence, and the head output at each sequence's last token.
/// </summary>
/// <remarks>
/// The cut depends only on the call (its sequences, the rows it reused and the chunk size), never on what else
/// runs, so a call prefills the same way alone or beside others. When everything fits in one chunk the job is
/// the two forward passes of an unchunked prefill: the shared prompt once, then every row's own suffix.
/// </remarks>
internal sealed class PrefillJob : IDisposable
{
    private readonly LlamaDecoder _model;
    private readonly int[] _pending;
    private readonly int[] _sources, _keep;
    private readonly IReadOnlyList<int[]> _sequences;
    private readonly int _capacity, _chunk;
    private readonly UsageMeter _meter;
    private KvCache? _base;
    private int _fedShared;

    // The suffix stage: groups of consecutive rows, each fed in passes of at most _chunk tokens.
    private List<(int Start, int Count)>? _groups;
    private readonly List<KvCache> _groupCaches = [];
    private readonly List<Tensor> _groupLogits = [];
    private int _group, _column;
    private KvCache? _current;
    private Tensor? _currentLogits;
    private PrefillPiece? _next;

    public PrefillJob(LlamaDecoder model, KvCache cache, int[] pendingShared, int[] sources, int[] keep,
        IReadOnlyList<int[]> sequences, int capacity, UsageMeter meter, int chunkTokens)
    {
        _model = model;
        _base = cache;
        _pending = pendingShared;
        _sources = sources;
        _keep = keep;
        _sequences = sequences;
        _capacity = capacity;
        _meter = meter;
        _chunk = Math.Max(1, chunkTokens);
    }

    /// <summary>Whether every forward pass has run (<see cref="TakeResult"/> may be called).</summary>
    public bool IsDone { get; private set; }

    /// <summary>Rows the finished job will hold.</summary>
    public int Rows => _sequences.Count;

    /// <summary>Runs the next forward pass alone; returns the tokens it fed (0 when the job was already done).</summary>
    public int Step()
    {
        if (IsDone) return 0;
        var piece = Next();
        Advance(PrefixCache.Feed(_model, piece.Cache, piece.Tokens, _meter), replacement: null);
        return piece.RealTokens;
    }

    /// <summary>
    /// The next forward pass, planned but not run: the cache it feeds and each of its rows' tokens. Asking again
    /// before <see cref="Advance"/> gives the same pass. The scheduler runs the passes of several jobs as one.
    /// </summary>
    public PrefillPiece Next()
    {
        if (IsDone) throw new InvalidOperationException("The prefill has finished.");
        if (_next is { } planned) return planned;
        if (_fedShared < _pending.Length)
        {
            int take = Math.Min(_chunk, _pending.Length - _fedShared);
            _next = new PrefillPiece(_base!, [_pending[_fedShared..(_fedShared + take)]]);
            return _next;
        }
        _groups ??= PlanGroups();
        var (start, count) = _groups[_group];
        if (_current is null)
        {
            // One group holding every row feeds the base cache itself; otherwise each group feeds a copy of its rows.
            _current = _groups.Count == 1 ? _base! : _base!.CopyRows(Enumerable.Range(start, count).ToList());
            if (_groups.Count == 1) _base = null;
            _column = 0;
        }
        // A group of several rows fits one pass; a single row longer than the chunk is fed in column pieces.
        var pieces = new List<int[]>(count);
        for (int i = start; i < start + count; i++)
        {
            var own = _sequences[i][_keep[i]..];
            int take = count == 1 ? Math.Min(_chunk, own.Length - _column) : own.Length;
            pieces.Add(own[_column..(_column + take)]);
        }
        _next = new PrefillPiece(_current, pieces);
        return _next;
    }

    /// <summary>
    /// Takes the head outputs of the pass <see cref="Next"/> planned [rows, vocab] (the job owns them from here).
    /// When the pass ran inside a larger batch, <paramref name="replacement"/> holds this job's rows after it and
    /// replaces the cache the pass was planned on (which the batch consumed).
    /// </summary>
    public void Advance(Tensor logits, KvCache? replacement)
    {
        var piece = _next ?? throw new InvalidOperationException("No pass was planned.");
        _next = null;
        if (_fedShared < _pending.Length)
        {
            logits.Dispose();
            if (replacement is not null) _base = replacement;
            _fedShared += piece.Tokens[0].Length;
            return;
        }
        if (replacement is not null) _current = replacement;
        _currentLogits?.Dispose();
        _currentLogits = logits;
        _column += piece.Tokens[0].Length;
        var (start, count) = _groups![_group];
        // A group of several rows is fed whole; a single row is done when its columns are.
        if (count > 1 || _column >= _sequences[start].Length - _keep[start])
        {
            _groupCaches.Add(_current!);
            _groupLogits.Add(_currentLogits);
            (_current, _currentLogits) = (null, null);
            if (++_group == _groups.Count) IsDone = true;
        }
    }

    /// <summary>Charged for the tokens this job's passes compute.</summary>
    internal UsageMeter Meter => _meter;

    /// <summary>Rows gathered from the base cache and truncated to what they share; groups sized to the chunk.</summary>
    private List<(int Start, int Count)> PlanGroups()
    {
        _base!.EnsureCapacity(_capacity);
        _base.SelectRows(_sources);
        for (int i = 0; i < _sequences.Count; i++) _base.Truncate(i, _keep[i]);

        var groups = new List<(int Start, int Count)>();
        int start = 0, width = 0;
        for (int i = 0; i < _sequences.Count; i++)
        {
            int own = _sequences[i].Length - _keep[i];
            int wider = Math.Max(width, own);
            if (i > start && (long)(i - start + 1) * wider > _chunk)
            {
                groups.Add((start, i - start));
                (start, wider) = (i, own);
            }
            width = wider;
        }
        groups.Add((start, _sequences.Count - start));
        return groups;
    }

    /// <summary>The finished cache and head outputs; the job no longer owns them.</summary>
    public (KvCache Cache, Tensor Logits) TakeResult()
    {
        if (!IsDone) throw new InvalidOperationException("The prefill has not finished.");
        var cache = KvCache.Concatenate(_groupCaches);
        var logits = _groupLogits.Count == 1 ? _groupLogits[0] : cat(_groupLogits.ToArray(), 0);
        if (_groupLogits.Count > 1) foreach (var l in _groupLogits) l.Dispose();
        _groupCaches.Clear();
        _groupLogits.Clear();
        _base?.Dispose();
        _base = null;
        return (cache, logits);
    }

    /// <summary>Frees whatever the job still holds (a cancelled or failed prefill).</summary>
    public void Dispose()
    {
        _base?.Dispose();
        _base = null;
        if (_current is not null && !_groupCaches.Contains(_current)) _current.Dispose();
        _current = null;
        _currentLogits?.Dispose();
        _currentLogits = null;
        foreach (var c in _groupCaches) c.Dispose();
        foreach (var l in _groupLogits) l.Dispose();
        _groupCaches.Clear();
        _groupLogits.Clear();
    }
}

/// <summary>One planned prefill pass: the cache it appends to and each row's tokens (ragged).</summary>
internal sealed record PrefillPiece(KvCache Cache, IReadOnlyList<int[]> Tokens)
{
    /// <summary>Tokens the pass computes for real (without padding).</summary>
    public int RealTokens => Tokens.Sum(t => t.Length);

    /// <summary>The longest row: the padded width of the pass.</summary>
    public int Width => Tokens.Max(t => t.Length);
}
