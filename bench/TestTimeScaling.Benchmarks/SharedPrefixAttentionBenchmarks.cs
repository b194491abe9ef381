using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using TestTimeScaling.Torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// One layer of the managed decode step's attention in the shared-prefix case of issue 11: 64 rows of the 124.7M peer
/// model (12 query heads over 4 key/value heads, head size 64), each over the same 512-token shared segment and 16
/// tokens of its own, on 1 and 2 kernel threads. <see cref="OneKeyAtATime"/> is the unblocked path (the baseline: a dot
/// product and an accumulation per key and head); <see cref="OneHeadPerPass"/> the blocked path one query head per pass
/// over the keys and values; <see cref="HeadsTogetherAvx2"/> takes the query heads of a key/value
/// head together in the 16-register form (three heads, four keys or 32 output floats at a time);
/// <see cref="Default"/> is what this machine runs (the 32-register form where AVX-512 is present). All four give the
/// same bits. 4 · 64 · 12 · 528 · 64 = 104 M floating-point operations a call.
/// <c>dotnet run -c Release --project bench/TestTimeScaling.Benchmarks -- --filter '*SharedPrefixAttention*'</c>.
/// </summary>
public unsafe class SharedPrefixAttentionBenchmarks
{
    private const int Rows = 64, Heads = 12, KvHeads = 4, HeadDim = 64, Shared = 512, Own = 16, Slots = 32;
    private const int Stride = Shared + Own + 8;

    private float[] _queries = [], _keys = [], _values = [], _segmentKeys = [], _segmentValues = [], _output = [], _scores = [];
    private ManagedAttention.RowKeys[] _rows = [];

    /// <summary>Kernel threads the layer is shared among.</summary>
    [Params(1, 2)]
    public int Threads { get; set; } = 2;

    [GlobalSetup]
    public void Setup()
    {
        var random = new Random(1);
        float[] Pinned(int length)
        {
            var array = GC.AllocateArray<float>(length, pinned: true);
            for (int i = 0; i < length; i++) array[i] = random.NextSingle() - 0.5f;
            return array;
        }
        _queries = Pinned(Rows * Heads * HeadDim);
        _keys = Pinned(Rows * KvHeads * Slots * HeadDim);
        _values = Pinned(Rows * KvHeads * Slots * HeadDim);
        _segmentKeys = Pinned(KvHeads * Shared * HeadDim);
        _segmentValues = Pinned(KvHeads * Shared * HeadDim);
        _output = Pinned(Rows * Heads * HeadDim);
        _scores = Pinned(Rows * Heads * Stride);
        _rows = GC.AllocateArray<ManagedAttention.RowKeys>(Rows, pinned: true);
        for (int r = 0; r < Rows; r++)
            _rows[r] = new ManagedAttention.RowKeys
            {
                Position = Shared + Own - 1,
                Shared = Shared,
                SegmentLength = Shared,
                SegmentKeys = (nint)Address(_segmentKeys),
                SegmentValues = (nint)Address(_segmentValues),
            };
    }

    /// <summary>One key and one query head at a time.</summary>
    [Benchmark(Baseline = true)]
    public float OneKeyAtATime() => Run(blocked: false, grouped: false, wide: false);

    /// <summary>Eight keys at a time, one query head per pass (the default before the heads were grouped).</summary>
    [Benchmark]
    public float OneHeadPerPass() => Run(blocked: true, grouped: false, wide: false);

    /// <summary>Query heads together, the AVX2 form.</summary>
    [Benchmark]
    public float HeadsTogetherAvx2() => Run(blocked: true, grouped: true, wide: false);

    /// <summary>The machine's default form.</summary>
    [Benchmark]
    public float Default() => Run(blocked: true, grouped: true, wide: ManagedAttention.Wide);

    private float Run(bool blocked, bool grouped, bool wide)
    {
        bool savedBlocked = ManagedAttention.Blocked, savedGrouped = ManagedAttention.Grouped, savedWide = ManagedAttention.Wide;
        ManagedAttention.Blocked = blocked;
        ManagedAttention.Grouped = grouped;
        ManagedAttention.Wide = wide;
        try
        {
            var shape = new ManagedAttention.Shape(Rows, Heads, KvHeads, HeadDim, Slots, Heads * HeadDim);
            fixed (ManagedAttention.RowKeys* rows = _rows)
                ManagedAttention.Run(shape, Address(_queries), Address(_keys), Address(_values), rows, null, Address(_output),
                    Address(_scores), Stride, Threads);
            return _output[0];
        }
        finally
        {
            ManagedAttention.Blocked = savedBlocked;
            ManagedAttention.Grouped = savedGrouped;
            ManagedAttention.Wide = savedWide;
        }
    }

    // The arrays are pinned: their addresses stay valid.
    private static float* Address(float[] array) => (float*)Marshal.UnsafeAddrOfPinnedArrayElement(array, 0);
}
