using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Keys and values of a token run that several cache rows share (a forked prompt, a duplicated beam): stored once,
/// never written after it is made, and freed when the last row referencing it lets go.
/// </summary>
/// <remarks>
/// Layout per layer: [kv_heads, length, head_dim], the key/value heads as the batch of one matrix product, so the
/// queries of every row referencing it attend to it in a single product. Rows may reference only a leading part of
/// it (a row truncated into the shared run keeps the segment with a shorter shared length). The reference count
/// counts rows across every cache holding one (copies of a cache share its segments), and is changed atomically.
/// </remarks>
internal sealed class KvSegment
{
    private readonly Tensor[] _keys, _values;
    private int _references;

    private KvSegment(Tensor[] keys, Tensor[] values, long length, long bytes)
    {
        _keys = keys;
        _values = values;
        Length = length;
        Bytes = bytes;
    }

    /// <summary>Tokens the segment holds.</summary>
    public long Length { get; }

    /// <summary>Bytes its tensors hold (keys and values, every layer).</summary>
    public long Bytes { get; }

    /// <summary>Rows (in any cache) that reference it.</summary>
    public int References => Volatile.Read(ref _references);

    /// <summary>
    /// Copies the first <paramref name="length"/> slots of row <paramref name="row"/> of per-layer row buffers
    /// [rows, kv_heads, width, head_dim] into a new segment with no references yet.
    /// </summary>
    public static KvSegment FromRow(Tensor[] keys, Tensor[] values, int row, long length)
    {
        var k = new Tensor[keys.Length];
        var v = new Tensor[values.Length];
        long bytes = 0;
        for (int l = 0; l < keys.Length; l++)
        {
            // clone() makes a compact copy owned by the segment, outside any dispose scope the caller runs in.
            using (var rowKeys = keys[l][row, .., ..(int)length, ..])
                k[l] = rowKeys.clone().DetachFromDisposeScope();
            using (var rowValues = values[l][row, .., ..(int)length, ..])
                v[l] = rowValues.clone().DetachFromDisposeScope();
            bytes += 2 * k[l].numel() * k[l].dtype.ElementSize();
        }
        return new KvSegment(k, v, length, bytes);
    }

    /// <summary>Keys of a layer, [kv_heads, length, head_dim].</summary>
    public Tensor Keys(int layer) => _keys[layer];

    /// <summary>Values of a layer, [kv_heads, length, head_dim].</summary>
    public Tensor Values(int layer) => _values[layer];

    /// <summary>Adds <paramref name="rows"/> references.</summary>
    public void AddReferences(int rows) => Interlocked.Add(ref _references, rows);

    /// <summary>Drops one reference; the last one frees the tensors.</summary>
    public void Release()
    {
        int left = Interlocked.Decrement(ref _references);
        if (left > 0) return;
        if (left < 0) throw new InvalidOperationException("A shared KV segment was released more often than it was referenced.");
        foreach (var t in _keys) t.Dispose();
        foreach (var t in _values) t.Dispose();
    }
}
