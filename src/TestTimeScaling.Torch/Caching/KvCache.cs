using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// A batched key/value cache: one row per sequence, each with its own length (ragged), able to hold up to a
/// capacity. Rows can be forked, reordered, duplicated and dropped (<see cref="SelectRows"/>) and truncated
/// (<see cref="Truncate"/>), which is what beam search, particle resampling and prompt sharing need. Rows that were
/// forked from one row share its tokens: they are stored once and attention reads them once per step.
/// </summary>
/// <remarks>
/// <para>A row is an optional shared segment (a <c>KvSegment</c>: tokens stored once, reference counted, read
/// up to the row's shared length) followed by the row's own suffix. When <see cref="SelectRows"/> or
/// <see cref="CopyRows"/> repeats a row that has no segment yet, and the copies would hold at least
/// <see cref="MinSharedTokens"/> tokens, that row's tokens become a segment (one copy of that one row, however many
/// times it is repeated) and every copy references it (shorter rows are copied); a row that already references a
/// segment keeps it and only its own suffix is copied. Two levels (one segment per row, then its suffix) are
/// enough for a prompt forked to n samples; a duplicated beam that extends a shared prompt copies its own part,
/// not the prompt. A cache left with one row whose segment nothing else references folds the segment back into the
/// row (batch-1 decoding keeps the dense path).</para>
/// <para>Suffix layout per layer: [rows, kv_heads, width + 1, head_dim]; suffix slot j of a row holds position
/// shared + j. The extra slot at index width is a scratch slot: padding tokens of a ragged prefill are written
/// there, so they can never overwrite a real entry. Slots past a row's length hold stale (finite) values that the
/// attention masks hide. The width grows when a write needs it (never past what the capacity allows any row's
/// suffix), so forked rows hold only what they generate.</para>
/// </remarks>
public sealed class KvCache : IDisposable
{
    private Tensor[] _keys;
    private Tensor[] _values;
    private long[] _lengths;
    private long[] _shared;
    private KvSegment?[] _segments;
    private int _width;
    private int _minSharedTokens = DefaultMinSharedTokens;
    private readonly int _kvHeads, _headDim;
    private bool _disposed;

    /// <summary>Creates an empty cache of <paramref name="rows"/> rows, each able to hold <paramref name="capacity"/> tokens.</summary>
    public KvCache(ModelConfig config, int rows, int capacity, Device device, ScalarType dtype)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "Row count must be >= 0.");
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Capacity must be positive.");
        Layers = config.NumHiddenLayers;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        Device = device;
        DType = dtype;
        Capacity = capacity;
        _width = capacity;
        _keys = new Tensor[Layers];
        _values = new Tensor[Layers];
        for (int l = 0; l < Layers; l++)
        {
            _keys[l] = zeros([rows, _kvHeads, capacity + 1, _headDim], dtype: dtype, device: device);
            _values[l] = zeros([rows, _kvHeads, capacity + 1, _headDim], dtype: dtype, device: device);
        }
        _lengths = new long[rows];
        _shared = new long[rows];
        _segments = new KvSegment?[rows];
    }

    private KvCache(KvCache shape, int capacity, int width, Tensor[] keys, Tensor[] values, long[] lengths, long[] shared, KvSegment?[] segments)
    {
        Layers = shape.Layers;
        _minSharedTokens = shape._minSharedTokens;
        _kvHeads = shape._kvHeads;
        _headDim = shape._headDim;
        Device = shape.Device;
        DType = shape.DType;
        Capacity = capacity;
        _width = width;
        _keys = keys;
        _values = values;
        _lengths = lengths;
        _shared = shared;
        _segments = segments;
    }

    /// <summary>A new cache holding copies of the given rows (this cache's contents are unchanged; shared segments are shared, not copied).</summary>
    public KvCache CopyRows(IReadOnlyList<int> rowIndices)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(rowIndices);
        CheckRows(rowIndices);
        ShareRepeatedRows(rowIndices);
        var (lengths, shared, segments) = Pick(rowIndices);
        int width = WidthFor(lengths, shared, Capacity);
        using var index = RowIndex(rowIndices);
        var keys = _keys.Select(k => Gather(k, index, width)).ToArray();
        var values = _values.Select(v => Gather(v, index, width)).ToArray();
        var copy = new KvCache(this, Capacity, width, keys, values, lengths, shared, segments);
        copy.UnshareLoneRow();
        return copy;
    }

    /// <summary>Stacks the rows of several caches of the same model into one; the parts are disposed. Shared segments stay shared.</summary>
    public static KvCache Concatenate(IReadOnlyList<KvCache> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("At least one cache is needed.", nameof(parts));
        if (parts.Count == 1) return parts[0];
        foreach (var p in parts) p.ThrowIfDisposed();
        var first = parts[0];
        int capacity = parts.Max(p => p.Capacity);
        int width = parts.Max(p => p._width);
        var keys = new Tensor[first.Layers];
        var values = new Tensor[first.Layers];
        for (int l = 0; l < first.Layers; l++)
        {
            keys[l] = CatWidened(parts.Select(p => (p._keys[l], p._width)).ToList(), width);
            values[l] = CatWidened(parts.Select(p => (p._values[l], p._width)).ToList(), width);
        }
        var segments = parts.SelectMany(p => p._segments).ToArray();
        foreach (var s in segments) s?.AddReferences(1);
        var merged = new KvCache(first, capacity, width, keys, values,
            parts.SelectMany(p => p._lengths).ToArray(), parts.SelectMany(p => p._shared).ToArray(), segments);
        foreach (var p in parts) p.Dispose();
        return merged;
    }

    /// <summary>Number of layers.</summary>
    public int Layers { get; }

    /// <summary>Tokens each row can hold.</summary>
    public int Capacity { get; private set; }

    /// <summary>The default of <see cref="MinSharedTokens"/>.</summary>
    public const int DefaultMinSharedTokens = 1024;

    /// <summary>
    /// Tokens a duplication must save for the repeated row to be shared rather than copied: a row listed k times is
    /// shared when (k - 1) x its length reaches this. Below it, copying is the cheaper choice: shared rows are read by
    /// cascade attention, which adds a fixed number of small operations per layer and step, while what sharing saves
    /// (memory, and keys read per step) grows with the tokens not copied. 0 shares every repeated row. Caches made
    /// from this one (<see cref="CopyRows"/>, <see cref="Concatenate"/>, from the first part) keep the setting.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int MinSharedTokens
    {
        get => _minSharedTokens;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegative(value);
            _minSharedTokens = value;
        }
    }

    /// <summary>Device of the cache tensors.</summary>
    public Device Device { get; }

    /// <summary>Element type of the cache tensors.</summary>
    public ScalarType DType { get; }

    /// <summary>Number of rows (sequences).</summary>
    public int RowCount => _lengths.Length;

    /// <summary>Tokens cached in each row.</summary>
    public IReadOnlyList<long> Lengths => _lengths;

    /// <summary>
    /// Bytes held by the cache tensors: every row's own suffix slots, plus each shared segment its rows reference,
    /// counted once (caches made from one another by <see cref="CopyRows"/> each count the segments they share).
    /// </summary>
    public long AllocatedBytes
    {
        get
        {
            long suffixes = 2L * Layers * RowCount * _kvHeads * (_width + 1) * _headDim * DType.ElementSize();
            return suffixes + _segments.OfType<KvSegment>().Distinct().Sum(s => s.Bytes);
        }
    }

    /// <summary>Bytes one cached token takes across all layers (keys and values).</summary>
    public long BytesPerToken => 2L * Layers * _kvHeads * _headDim * DType.ElementSize();

    /// <summary>
    /// Rebuilds the rows from existing ones: row i of the result is old row <paramref name="rowIndices"/>[i].
    /// Repeating an index duplicates (forks) a row; leaving one out drops it; any order reorders. Duplicates share
    /// the repeated row's tokens instead of copying them.
    /// </summary>
    public void SelectRows(IReadOnlyList<int> rowIndices)
    {
        ThrowIfDisposed();
        ArgumentNullException.ThrowIfNull(rowIndices);
        CheckRows(rowIndices);
        ShareRepeatedRows(rowIndices);
        var (lengths, shared, segments) = Pick(rowIndices);
        int width = WidthFor(lengths, shared, Capacity);
        using var index = RowIndex(rowIndices);
        for (int l = 0; l < Layers; l++)
        {
            var k = Gather(_keys[l], index, width);
            var v = Gather(_values[l], index, width);
            _keys[l].Dispose();
            _values[l].Dispose();
            _keys[l] = k;
            _values[l] = v;
        }
        // The new rows took their references in Pick; the old rows give theirs back.
        foreach (var s in _segments) s?.Release();
        (_lengths, _shared, _segments, _width) = (lengths, shared, segments, width);
        UnshareLoneRow();
    }

    /// <summary>Forgets the tokens of <paramref name="row"/> after the first <paramref name="length"/>.</summary>
    public void Truncate(int row, long length)
    {
        ThrowIfDisposed();
        if ((uint)row >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(row), row, $"Row must be in [0, {RowCount}).");
        if (length < 0 || length > _lengths[row])
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Length must be in [0, {_lengths[row]}] for row {row}.");
        _lengths[row] = length;
        if (length >= _shared[row]) return;
        // Cut into the shared part: the row reads less of its segment and its own suffix starts empty.
        _shared[row] = length;
        if (length == 0)
        {
            _segments[row]!.Release();
            _segments[row] = null;
        }
    }

    /// <summary>
    /// Lets every row hold at least <paramref name="capacity"/> tokens, keeping the contents. The suffix slots grow
    /// when a write needs them.
    /// </summary>
    public void EnsureCapacity(int capacity)
    {
        ThrowIfDisposed();
        if (capacity > Capacity) Capacity = capacity;
    }

    /// <summary>Tokens of each row read from its shared segment (0 for a row without one).</summary>
    internal IReadOnlyList<long> SharedLengths => _shared;

    /// <summary>The shared segment row <paramref name="row"/> references, or null.</summary>
    internal KvSegment? SegmentOf(int row) => _segments[row];

    /// <summary>Distinct shared segments the rows reference.</summary>
    internal int SegmentCount => _segments.OfType<KvSegment>().Distinct().Count();

    /// <summary>
    /// Makes room for appending <paramref name="counts"/>[b] tokens to each row's suffix: widens the suffix slots when
    /// needed (by at least half again, so growth is rare, and never past what the capacity allows). Runs inside a
    /// forward pass, so the new buffers leave the pass's dispose scope.
    /// </summary>
    internal void PrepareAppend(IReadOnlyList<long> counts)
    {
        long need = 0;
        for (int b = 0; b < RowCount; b++) need = Math.Max(need, _lengths[b] - _shared[b] + counts[b]);
        if (need <= _width) return;
        long most = 0;
        for (int b = 0; b < RowCount; b++) most = Math.Max(most, Capacity - _shared[b]);
        int width = (int)Math.Max(need, Math.Min(most, _width + Math.Max(_width / 2, 16)));
        for (int l = 0; l < Layers; l++)
        {
            var k = Widen(_keys[l], _width, width).DetachFromDisposeScope();
            var v = Widen(_values[l], _width, width).DetachFromDisposeScope();
            _keys[l].Dispose();
            _values[l].Dispose();
            _keys[l] = k;
            _values[l] = v;
        }
        _width = width;
    }

    /// <summary>Writes new keys and values [rows, kv_heads, T, head_dim] at the suffix slots in <paramref name="writeIndex"/> [rows, kv_heads, T, head_dim].</summary>
    internal void Write(int layer, Tensor keys, Tensor values, Tensor writeIndex)
    {
        _keys[layer].scatter_(2, writeIndex, keys);
        _values[layer].scatter_(2, writeIndex, values);
    }

    /// <summary>The first <paramref name="length"/> suffix slots of every row of a layer (views, not copies).</summary>
    internal (Tensor Keys, Tensor Values) Read(int layer, long length) =>
        (_keys[layer][.., .., ..(int)length, ..], _values[layer][.., .., ..(int)length, ..]);

    /// <summary>The key suffix buffer of a layer, [rows, kv_heads, width + 1, head_dim] (replaced when rows change or the width grows: read per use).</summary>
    internal Tensor KeyBuffer(int layer) => _keys[layer];

    /// <summary>The value suffix buffer of a layer, laid out as <see cref="KeyBuffer"/>.</summary>
    internal Tensor ValueBuffer(int layer) => _values[layer];

    /// <summary>Adds the tokens just written to each row's length.</summary>
    internal void Advance(IReadOnlyList<long> counts)
    {
        for (int i = 0; i < _lengths.Length; i++) _lengths[i] += counts[i];
    }

    /// <summary>The scratch slot's index in the suffix slots.</summary>
    internal int ScratchSlot => _width;

    /// <summary>Suffix slots per row (besides the scratch slot).</summary>
    internal int SuffixWidth => _width;

    /// <summary>
    /// Each row listed more than once that has no segment yet, and whose copies would hold at least
    /// <see cref="MinSharedTokens"/> tokens, moves its tokens into a new segment it references.
    /// </summary>
    private void ShareRepeatedRows(IReadOnlyList<int> rowIndices)
    {
        var copies = new Dictionary<int, int>();
        foreach (int r in rowIndices) copies[r] = copies.GetValueOrDefault(r) + 1;
        foreach (var (r, count) in copies)
        {
            if (count < 2 || _segments[r] is not null || _lengths[r] == 0 || (count - 1) * _lengths[r] < _minSharedTokens) continue;
            var segment = KvSegment.FromRow(_keys, _values, r, _lengths[r]);
            segment.AddReferences(1);
            _segments[r] = segment;
            _shared[r] = _lengths[r];
        }
    }

    /// <summary>
    /// A cache of one row whose segment no other row references gains nothing from it: the row gets its tokens back
    /// in its own slots (sized to the capacity, as a new one-row cache is), the segment is freed, and its decode steps
    /// take the dense attention path. One row's slots either way, so no memory is added.
    /// </summary>
    private void UnshareLoneRow()
    {
        if (RowCount != 1 || _segments[0] is not { } segment || segment.References != 1) return;
        int shared = (int)_shared[0], length = (int)_lengths[0], width = Capacity;
        for (int l = 0; l < Layers; l++)
        {
            _keys[l] = Unshare(_keys[l], segment.Keys(l));
            _values[l] = Unshare(_values[l], segment.Values(l));
        }
        segment.Release();
        (_segments[0], _shared[0], _width) = (null, 0, width);

        Tensor Unshare(Tensor suffix, Tensor segmentPart)
        {
            var whole = zeros([1, _kvHeads, width + 1, _headDim], dtype: DType, device: Device);
            using (var target = whole[0, .., ..shared, ..])
            using (var source = segmentPart[.., ..shared, ..])
                target.copy_(source);
            using (var target = whole[0, .., shared..length, ..])
            using (var source = suffix[0, .., ..(length - shared), ..])
                target.copy_(source);
            suffix.Dispose();
            return whole;
        }
    }

    /// <summary>The bookkeeping of the listed rows; each picked row takes a reference on its segment.</summary>
    private (long[] Lengths, long[] Shared, KvSegment?[] Segments) Pick(IReadOnlyList<int> rowIndices)
    {
        var lengths = rowIndices.Select(i => _lengths[i]).ToArray();
        var shared = rowIndices.Select(i => _shared[i]).ToArray();
        var segments = rowIndices.Select(i => _segments[i]).ToArray();
        foreach (var s in segments) s?.AddReferences(1);
        return (lengths, shared, segments);
    }

    /// <summary>
    /// Suffix slots for rows of these lengths: what they hold now, and as much of what the capacity lets them add
    /// as the current width already holds (so forked rows keep only their own part, and nothing grows here).
    /// </summary>
    private int WidthFor(long[] lengths, long[] shared, int capacity)
    {
        long held = 0, most = 0;
        for (int i = 0; i < lengths.Length; i++)
        {
            held = Math.Max(held, lengths[i] - shared[i]);
            most = Math.Max(most, capacity - shared[i]);
        }
        return (int)Math.Max(held, Math.Min(_width, most));
    }

    private Tensor RowIndex(IReadOnlyList<int> rowIndices) =>
        tensor(rowIndices.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64, device: Device);

    /// <summary>Rows of a suffix buffer in a new order, cut to <paramref name="width"/> slots plus the scratch slot.</summary>
    private static Tensor Gather(Tensor buffer, Tensor index, int width)
    {
        using var kept = buffer.narrow(2, 0, width + 1);
        return kept.index_select(0, index);
    }

    /// <summary>A suffix buffer with more slots: the real slots are copied, the new ones are zero (finite, masked).</summary>
    private static Tensor Widen(Tensor buffer, int width, int wider)
    {
        using var real = buffer.narrow(2, 0, width);
        return nn.functional.pad(real, [0, 0, 0, wider + 1 - width]);
    }

    private static Tensor CatWidened(List<(Tensor Buffer, int Width)> parts, int width)
    {
        var widened = parts.Select(p => p.Width == width ? p.Buffer : Widen(p.Buffer, p.Width, width)).ToArray();
        var result = cat(widened, 0);
        for (int i = 0; i < widened.Length; i++)
            if (!ReferenceEquals(widened[i], parts[i].Buffer)) widened[i].Dispose();
        return result;
    }

    private void CheckRows(IReadOnlyList<int> rowIndices)
    {
        foreach (int r in rowIndices)
            if ((uint)r >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(rowIndices), r, $"Row index must be in [0, {RowCount}).");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Frees the cache tensors and gives back its rows' references to shared segments.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
        foreach (var s in _segments) s?.Release();
        _segments = [];
    }
}
