using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// A batched key/value cache: one row per sequence, each with its own length (ragged), preallocated
/// to a capacity. Rows can be forked, reordered, duplicated and dropped (<see cref="SelectRows"/>)
/// and truncated (<see cref="Truncate"/>), which is what beam search, particle resampling and
/// prompt sharing need.
/// </summary>
/// <remarks>
/// Layout per layer: [rows, kv_heads, capacity + 1, head_dim]. The extra slot at index
/// <see cref="Capacity"/> is a scratch slot: padding tokens of a ragged prefill are written there,
/// so they can never overwrite a real entry. Slots past a row's length hold stale values that the
/// attention mask hides.
/// </remarks>
public sealed class KvCache : IDisposable
{
    private Tensor[] _keys;
    private Tensor[] _values;
    private long[] _lengths;
    private readonly int _kvHeads, _headDim;
    private bool _disposed;

    /// <summary>Creates an empty cache of <paramref name="rows"/> rows, each able to hold <paramref name="capacity"/> tokens.</summary>
    public KvCache(ModelConfig config, int rows, int capacity, Device device, ScalarType dtype)
    {
        if (rows < 0) throw new ArgumentOutOfRangeException(nameof(rows), rows, "Row count must be >= 0.");
        if (capacity <= 0) throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Capacity must be positive.");
        Layers = config.NumHiddenLayers;
        _kvHeads = config.NumKeyValueHeads;
        _headDim = config.HeadDim;
        Device = device;
        DType = dtype;
        Capacity = capacity;
        _keys = new Tensor[Layers];
        _values = new Tensor[Layers];
        for (int l = 0; l < Layers; l++)
        {
            _keys[l] = zeros([rows, _kvHeads, capacity + 1, _headDim], dtype: dtype, device: device);
            _values[l] = zeros([rows, _kvHeads, capacity + 1, _headDim], dtype: dtype, device: device);
        }
        _lengths = new long[rows];
    }

    private KvCache(KvCache shape, Tensor[] keys, Tensor[] values, long[] lengths)
    {
        Layers = shape.Layers;
        _kvHeads = shape._kvHeads;
        _headDim = shape._headDim;
        Device = shape.Device;
        DType = shape.DType;
        Capacity = shape.Capacity;
        _keys = keys;
        _values = values;
        _lengths = lengths;
    }

    /// <summary>A new cache holding copies of the given rows (this cache is unchanged).</summary>
    public KvCache CopyRows(IReadOnlyList<int> rowIndices)
    {
        ThrowIfDisposed();
        CheckRows(rowIndices);
        using var index = tensor(rowIndices.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64, device: Device);
        return new KvCache(this,
            _keys.Select(k => k.index_select(0, index)).ToArray(),
            _values.Select(v => v.index_select(0, index)).ToArray(),
            rowIndices.Select(i => _lengths[i]).ToArray());
    }

    /// <summary>Stacks the rows of several caches of the same model into one; the parts are disposed.</summary>
    public static KvCache Concatenate(IReadOnlyList<KvCache> parts)
    {
        if (parts.Count == 0) throw new ArgumentException("At least one cache is needed.", nameof(parts));
        if (parts.Count == 1) return parts[0];
        int capacity = parts.Max(p => p.Capacity);
        foreach (var p in parts) p.EnsureCapacity(capacity);
        var first = parts[0];
        var keys = Enumerable.Range(0, first.Layers).Select(l => cat(parts.Select(p => p._keys[l]).ToArray(), 0)).ToArray();
        var values = Enumerable.Range(0, first.Layers).Select(l => cat(parts.Select(p => p._values[l]).ToArray(), 0)).ToArray();
        var merged = new KvCache(first, keys, values, parts.SelectMany(p => p._lengths).ToArray());
        foreach (var p in parts) p.Dispose();
        return merged;
    }

    /// <summary>Number of layers.</summary>
    public int Layers { get; }

    /// <summary>Tokens each row can hold.</summary>
    public int Capacity { get; private set; }

    /// <summary>Device of the cache tensors.</summary>
    public Device Device { get; }

    /// <summary>Element type of the cache tensors.</summary>
    public ScalarType DType { get; }

    /// <summary>Number of rows (sequences).</summary>
    public int RowCount => _lengths.Length;

    /// <summary>Tokens cached in each row.</summary>
    public IReadOnlyList<long> Lengths => _lengths;

    /// <summary>Bytes held by the cache tensors.</summary>
    public long AllocatedBytes => 2L * Layers * RowCount * _kvHeads * (Capacity + 1) * _headDim * DType.ElementSize();

    /// <summary>Bytes one cached token takes across all layers (keys and values).</summary>
    public long BytesPerToken => 2L * Layers * _kvHeads * _headDim * DType.ElementSize();

    /// <summary>
    /// Rebuilds the rows from existing ones: row i of the result is old row <paramref name="rowIndices"/>[i].
    /// Repeating an index duplicates (forks) a row; leaving one out drops it; any order reorders.
    /// </summary>
    public void SelectRows(IReadOnlyList<int> rowIndices)
    {
        ThrowIfDisposed();
        CheckRows(rowIndices);
        using var index = tensor(rowIndices.Select(i => (long)i).ToArray(), dtype: ScalarType.Int64, device: Device);
        for (int l = 0; l < Layers; l++)
        {
            var k = _keys[l].index_select(0, index);
            var v = _values[l].index_select(0, index);
            _keys[l].Dispose();
            _values[l].Dispose();
            _keys[l] = k;
            _values[l] = v;
        }
        _lengths = rowIndices.Select(i => _lengths[i]).ToArray();
    }

    /// <summary>Forgets the tokens of <paramref name="row"/> after the first <paramref name="length"/>.</summary>
    public void Truncate(int row, long length)
    {
        ThrowIfDisposed();
        if ((uint)row >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(row), row, $"Row must be in [0, {RowCount}).");
        if (length < 0 || length > _lengths[row])
            throw new ArgumentOutOfRangeException(nameof(length), length, $"Length must be in [0, {_lengths[row]}] for row {row}.");
        _lengths[row] = length;
    }

    /// <summary>Grows every row to hold at least <paramref name="capacity"/> tokens, keeping the contents.</summary>
    public void EnsureCapacity(int capacity)
    {
        ThrowIfDisposed();
        if (capacity <= Capacity) return;
        for (int l = 0; l < Layers; l++)
        {
            _keys[l] = Grow(_keys[l], capacity);
            _values[l] = Grow(_values[l], capacity);
        }
        Capacity = capacity;
    }

    private Tensor Grow(Tensor old, int capacity)
    {
        var grown = zeros([old.shape[0], _kvHeads, capacity + 1, _headDim], dtype: DType, device: Device);
        // Copy the real slots only; the old scratch slot is stale by definition.
        using (var target = grown[.., .., ..Capacity, ..])
        using (var source = old[.., .., ..Capacity, ..])
            target.copy_(source);
        old.Dispose();
        return grown;
    }

    /// <summary>Writes new keys and values [rows, kv_heads, T, head_dim] at the slots in <paramref name="writeIndex"/> [rows, kv_heads, T, head_dim].</summary>
    internal void Write(int layer, Tensor keys, Tensor values, Tensor writeIndex)
    {
        _keys[layer].scatter_(2, writeIndex, keys);
        _values[layer].scatter_(2, writeIndex, values);
    }

    /// <summary>The first <paramref name="length"/> slots of every row of a layer (views, not copies).</summary>
    internal (Tensor Keys, Tensor Values) Read(int layer, long length) =>
        (_keys[layer][.., .., ..(int)length, ..], _values[layer][.., .., ..(int)length, ..]);

    /// <summary>Adds the tokens just written to each row's length.</summary>
    internal void Advance(IReadOnlyList<long> counts)
    {
        for (int i = 0; i < _lengths.Length; i++) _lengths[i] += counts[i];
    }

    /// <summary>The scratch slot's index.</summary>
    internal int ScratchSlot => Capacity;

    private void CheckRows(IReadOnlyList<int> rowIndices)
    {
        foreach (int r in rowIndices)
            if ((uint)r >= (uint)RowCount) throw new ArgumentOutOfRangeException(nameof(rowIndices), r, $"Row index must be in [0, {RowCount}).");
    }

    private void ThrowIfDisposed() => ObjectDisposedException.ThrowIf(_disposed, this);

    /// <summary>Frees the cache tensors.</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
