using System.Collections.Concurrent;
using System.Numerics.Tensors;
using TorchSharp;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TestTimeScaling.Torch;

/// <summary>
/// A decode step (every row appends one token) of a CPU float32 decoder run entirely in managed code over the
/// tensors' memory: embedding rows, RMSNorm, the fused q/k/v product, Qwen3's q/k norm, rotary, the KV write into each
/// row's cache slot, attention over the row's keys (its shared segment's, then its own), o_proj, the fused gate/up product, the activation, down_proj,
/// the final norm and the head. No torch op runs inside it but the allocation of the result.
/// </summary>
/// <remarks>
/// <para>Why: a batch-1 step of a small model is a few dozen small products and many element-wise ops. Through libtorch
/// each op is a native call, and libtorch's OpenMP threads spin after every parallel op, so managed kernels (the
/// <see cref="Gemv"/>) interleaved with torch ops took turns with those threads on the cores (docs/benchmarks.md,
/// "Decode kernels"). With no torch op in the step, the OpenMP threads sleep and the managed products own the cores.</para>
/// <para>It applies (<see cref="TryForward"/>) to rows that each add exactly one token, at most <see cref="MaxRows"/>
/// of them, under no autograd, with the fused projections fused, and not past max_position_embeddings under dynamic
/// rope scaling; anything else (prefill, ragged chunks, more rows, CUDA, other dtypes) keeps the torch path. Rows that
/// reference a shared segment read it in place, each row once (consecutive rows of one kv head, so the segment's part
/// stays in cache between them), instead of the torch path's cascade. Results equal the torch path's within float32 rounding of
/// reordered sums (about 1e-6 relative); the cache it leaves is the torch path's, slot for slot.</para>
/// <para>Thread safety: each concurrent caller takes its own scratch buffers; the weights are only read.</para>
/// </remarks>
internal sealed unsafe class ManagedDecodeStep
{
    private readonly ModelConfig _config;
    private readonly LlamaBackbone _model;
    private readonly Projection? _head;
    private readonly ManagedActivation _activation;
    private readonly int?[] _windows;
    private readonly ConcurrentBag<ManagedStepBuffers> _buffers = [];
    private ManagedWeights? _weights;
    private readonly object _quantizeGate = new();

    /// <param name="config">The decoder's architecture.</param>
    /// <param name="model">Its trunk.</param>
    /// <param name="head">lm_head or the score head; null when the head is the tied embedding.</param>
    public ManagedDecodeStep(ModelConfig config, LlamaBackbone model, Projection? head)
    {
        _config = config;
        _model = model;
        _head = head;
        _activation = new ManagedActivation(config.HiddenAct);
        _windows = Enumerable.Range(0, config.NumHiddenLayers)
            .Select(l => config.IsSlidingLayer(l) ? config.EffectiveSlidingWindow : null).ToArray();
    }

    /// <summary>
    /// Most rows a step takes. Past <see cref="Gemv.MaxRows"/> the products are bound by their multiply-adds, not by
    /// reading the weights; <see cref="Gemv"/>'s 4x3 blocks still ran a 64-row step of the 22.6M model in less than
    /// half the torch path's time, and 128 rows faster than it, but 256 rows slower (--rows-step, docs/benchmarks.md
    /// "Decode kernels"), so larger batches keep libtorch's GEMMs.
    /// </summary>
    public const int MaxRows = 128;

    /// <summary>
    /// Whether <see cref="LlamaDecoder"/>'s decode steps that qualify run in managed code (default true). Off (or with
    /// <see cref="CpuKernel.Enabled"/> off), every step takes the torch path, so a benchmark can compare both in one process.
    /// </summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>
    /// The weights the step's products read (<see cref="LlamaDecoder.DecodeWeights"/>): under
    /// <see cref="DecodeWeightFormat.Q8_0"/> the first step quantizes the projections (<see cref="QuantizedDecodeWeights"/>)
    /// and later steps multiply with that copy until a weight tensor is replaced or <see cref="Refresh"/> is called.
    /// </summary>
    public DecodeWeightFormat Format { get; set; }

    /// <summary>Drops the weights' addresses and any quantized copy: the next step takes them again (after in-place weight updates).</summary>
    public void Refresh() => Volatile.Write(ref _weights, null);

    /// <summary>
    /// Appends one token per row (<paramref name="inputIds"/> [B, 1]) to <paramref name="cache"/> and returns the head's
    /// output [B, outputs] when the step qualifies; null (nothing done) when it must take the torch path. The caller
    /// has checked that the shapes agree with the cache.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">A token id is outside the vocabulary.</exception>
    public Tensor? TryForward(Tensor inputIds, KvCache cache, IReadOnlyList<long> valid, Device device, ScalarType dtype)
    {
        int rows = cache.RowCount;
        if (!CpuKernel.Enabled || device.type != DeviceType.CPU || dtype != ScalarType.Float32) return null;
        if (rows < 1 || rows > MaxRows || inputIds.dim() != 2 || inputIds.shape[1] != 1) return null;
        if (cache.Device.type != DeviceType.CPU || cache.DType != ScalarType.Float32) return null;
        long longest = 0;
        for (int b = 0; b < rows; b++)
        {
            // A full row lets the torch path raise its capacity error.
            if (valid[b] != 1 || cache.Lengths[b] + 1 > cache.Capacity) return null;
            longest = Math.Max(longest, cache.Lengths[b] + 1);
        }
        // Dynamic NTK frequencies depend on the call's length past the context: the torch path computes them.
        if (_config.RopeScaling?.RopeType == "dynamic" && longest > _config.MaxPositionEmbeddings) return null;
        if (inputIds.dtype != ScalarType.Int64 || inputIds.device_type != DeviceType.CPU || !inputIds.is_contiguous()) return null;
        if (is_grad_enabled()) return null;
        var weights = Weights();
        if (weights is null) return null;
        // The Q8_0 products read fewer bytes, which pays only while reading bounds the step: larger batches multiply in fp32.
        var quantized = Format == DecodeWeightFormat.Q8_0 && rows <= Gemv.MaxRows ? Quantized(weights) : null;

        long* ids = TensorMemory.Longs(inputIds);
        for (int b = 0; b < rows; b++)
            if ((ulong)ids[b] >= (ulong)_config.VocabSize)
                throw new ArgumentOutOfRangeException(nameof(inputIds), ids[b], $"Token ids must be in [0, {_config.VocabSize}).");

        // A layer's buffer is read through one span (int-indexed bytes): a cache that could outgrow it takes the torch path.
        long slots = Math.Max(cache.SuffixWidth, cache.Capacity) + 1L;
        if (rows * _config.NumKeyValueHeads * slots * _config.HeadDim * sizeof(float) > int.MaxValue) return null;
        cache.PrepareAppend(valid);
        // A set too small for this many rows is dropped for a larger one (the garbage collector frees it).
        if (!_buffers.TryTake(out var buffers) || buffers.Rows < rows) buffers = new ManagedStepBuffers(_config, Math.Max(rows, Gemv.MaxRows));
        var output = empty([rows, weights.HeadOutputs], ScalarType.Float32, CPU);
        try
        {
            Run(weights, quantized, buffers, ids, cache, rows, Math.Min(get_num_threads(), Gemv.ThreadLimit), TensorMemory.Floats(output));
        }
        catch
        {
            // The cache keeps its lengths (what was written lies past them); nothing of the step stays alive.
            output.Dispose();
            throw;
        }
        finally
        {
            _buffers.Add(buffers);
        }
        cache.Advance(valid);
        return output;
    }

    /// <summary>The weights' addresses, taken again when a tensor was replaced since; null when they do not qualify.</summary>
    private ManagedWeights? Weights()
    {
        var weights = Volatile.Read(ref _weights);
        if (weights is not null && weights.Matches(_model, _head)) return weights;
        weights = ManagedWeights.Capture(_model, _head, _config);
        Volatile.Write(ref _weights, weights);
        return weights;
    }

    /// <summary>The Q8_0 copy of <paramref name="weights"/>, made by the first step that needs it (one thread quantizes, others wait).</summary>
    private QuantizedDecodeWeights Quantized(ManagedWeights weights)
    {
        if (weights.Quantized is { } copy) return copy;
        lock (_quantizeGate) return weights.Quantized ??= QuantizedDecodeWeights.Quantize(weights, _config);
    }

    // The fp32 product, or the Q8_0 one when the step runs on a quantized copy.
    private static void Project(Q8Matrix? quantized, float* w, float* x, float* b, float* y, int rows, int inputs, int outputs, int threads)
    {
        if (quantized is not null) GemvQ8.Multiply(quantized, x, b, y, rows, threads);
        else Gemv.Multiply(w, x, b, y, rows, inputs, outputs, threads);
    }

    private void Run(ManagedWeights w, QuantizedDecodeWeights? q, ManagedStepBuffers s, long* ids, KvCache cache, int rows, int threads, float* logits)
    {
        int hidden = _config.HiddenSize, heads = _config.NumAttentionHeads, kvHeads = _config.NumKeyValueHeads, dim = _config.HeadDim;
        int inner = _config.IntermediateSize, rotary = w.Rotary.Dim, qkvWidth = (heads + 2 * kvHeads) * dim;
        int slots = cache.SuffixWidth + 1;
        float* h = s.Hidden, normed = s.Normed, qkv = s.Qkv, cos = s.Cos, sin = s.Sin;
        var at = s.Keys;
        int longest = 0;
        for (int b = 0; b < rows; b++)
        {
            // The new token sits at the row's length; its suffix slot is that less the row's shared part.
            at[b] = new ManagedAttention.RowKeys { Position = cache.Lengths[b], Shared = (int)cache.SharedLengths[b] };
            longest = Math.Max(longest, (int)at[b].Position + 1);
            new ReadOnlySpan<float>(w.Embedding + ids[b] * hidden, hidden).CopyTo(new Span<float>(h + (long)b * hidden, hidden));
            w.Rotary.Fill(at[b].Position, cos + (long)b * rotary, sin + (long)b * rotary);
        }
        // Each (row, head) keeps its weights and, after them, the inverse of their sum.
        int scoreStride = longest + 1;
        float* scores = s.Scores(rows * heads, scoreStride);
        var shape = new ManagedAttention.Shape(rows, heads, kvHeads, dim, slots, qkvWidth);

        for (int l = 0; l < _config.NumHiddenLayers; l++)
        {
            var layer = w.Layer(l);
            var ql = q?.LayerAt(l);
            ManagedRmsNorm.Apply(h, layer.InputNorm, normed, rows, hidden, layer.InputNormEpsilon);
            Project(ql?.Qkv, layer.Qkv, normed, layer.QkvBias, qkv, rows, hidden, qkvWidth, threads);
            float* keys = TensorMemory.Floats(cache.KeyBuffer(l));
            float* values = TensorMemory.Floats(cache.ValueBuffer(l));
            PointAtSegments(cache, l, at, rows);
            var positions = new Positions(qkv, cos, sin, keys, values, at, layer.QueryNorm, layer.KeyNorm, layer.HeadNormEpsilon, slots);
            if (InParallel(rows, threads)) PositionInParallel(positions, rows, threads);
            else Position(positions, 0, rows);
            ManagedAttention.Run(shape, qkv, keys, values, at, _windows[l], s.Attention, scores, scoreStride, threads);
            Project(ql?.Output, layer.Output, s.Attention, layer.OutputBias, s.Projected, rows, heads * dim, hidden, threads);
            AddInPlace(h, s.Projected, rows * hidden);

            ManagedRmsNorm.Apply(h, layer.PostNorm, normed, rows, hidden, layer.PostNormEpsilon);
            Project(ql?.GateUp, layer.GateUp, normed, layer.GateUpBias, s.GateUp, rows, hidden, 2 * inner, threads);
            if (InParallel(rows, threads)) ActivateInParallel((nint)s.GateUp, (nint)s.Activated, rows, inner, threads);
            else _activation.Apply(s.GateUp, s.Activated, rows, inner);
            Project(ql?.Down, layer.Down, s.Activated, layer.DownBias, s.Projected, rows, inner, hidden, threads);
            AddInPlace(h, s.Projected, rows * hidden);
        }
        ManagedRmsNorm.Apply(h, w.FinalNorm, normed, rows, hidden, w.FinalNormEpsilon);
        Project(q?.Head, w.Head, normed, w.HeadBias, logits, rows, hidden, w.HeadOutputs, threads);
    }

    /// <summary>
    /// Rows from which the per-row work between the products (positioning q and k, the activation) is split across the
    /// kernel threads. Below, it is a few microseconds, less than a handoff; at 64 rows of the 22.6M model it was about
    /// a tenth of a one-thread step, left on one core while the other waited.
    /// </summary>
    private const int ParallelRows = 16;

    private static bool InParallel(int rows, int threads) => threads > 1 && rows >= ParallelRows;

    /// <summary>Where one layer's per-row positioning reads and writes (addresses, so the parts can run on the kernel threads).</summary>
    private readonly record struct Positions(nint Qkv, nint Cos, nint Sin, nint Keys, nint Values, nint At, nint QueryNorm, nint KeyNorm, float Epsilon, int Slots)
    {
        public Positions(float* qkv, float* cos, float* sin, float* keys, float* values, ManagedAttention.RowKeys* at, float* queryNorm, float* keyNorm, float epsilon, int slots)
            : this((nint)qkv, (nint)cos, (nint)sin, (nint)keys, (nint)values, (nint)at, (nint)queryNorm, (nint)keyNorm, epsilon, slots)
        {
        }
    }

    // Rows [start, end): Qwen3's head norms, rotary on the queries and the new key, and the key and value written into
    // the row's next suffix slot.
    private void Position(Positions p, int start, int end)
    {
        int heads = _config.NumAttentionHeads, kvHeads = _config.NumKeyValueHeads, dim = _config.HeadDim;
        int qkvWidth = (heads + 2 * kvHeads) * dim, rotary = _config.RotaryDim;
        var at = (ManagedAttention.RowKeys*)p.At;
        float* queryNorm = (float*)p.QueryNorm, keyNorm = (float*)p.KeyNorm;
        for (int b = start; b < end; b++)
        {
            float* row = (float*)p.Qkv + (long)b * qkvWidth;
            float* c = (float*)p.Cos + (long)b * rotary, sn = (float*)p.Sin + (long)b * rotary;
            for (int head = 0; head < heads; head++)
                PositionHead(row + head * dim, dim, queryNorm, p.Epsilon, c, sn, rotary);
            for (int g = 0; g < kvHeads; g++)
            {
                float* key = row + (heads + g) * dim;
                PositionHead(key, dim, keyNorm, p.Epsilon, c, sn, rotary);
                long slot = (((long)b * kvHeads + g) * p.Slots + at[b].Position - at[b].Shared) * dim;
                new ReadOnlySpan<float>(key, dim).CopyTo(new Span<float>((float*)p.Keys + slot, dim));
                new ReadOnlySpan<float>(row + (heads + kvHeads + g) * dim, dim).CopyTo(new Span<float>((float*)p.Values + slot, dim));
            }
        }
    }

    // The lambdas live in their own methods: a closure is made only on the parallel path, never per call of the few-row one.
    private void PositionInParallel(Positions p, int rows, int threads)
    {
        int parts = Math.Min(threads, rows);
        KernelThreads.Shared.Run(parts, part => Position(p, rows * part / parts, rows * (part + 1) / parts));
    }

    private void ActivateInParallel(nint gateUp, nint output, int rows, int inner, int threads)
    {
        int parts = Math.Min(threads, rows);
        KernelThreads.Shared.Run(parts, part =>
        {
            int start = rows * part / parts, end = rows * (part + 1) / parts;
            _activation.Apply((float*)gateUp + 2L * start * inner, (float*)output + (long)start * inner, end - start, inner);
        });
    }

    // Each row's shared segment of layer l (rows of one fork share one: its address is taken once per layer).
    private static void PointAtSegments(KvCache cache, int layer, ManagedAttention.RowKeys* at, int rows)
    {
        for (int b = 0; b < rows; b++)
        {
            if (cache.SegmentOf(b) is not { } segment)
            {
                at[b].SegmentKeys = at[b].SegmentValues = 0;
                continue;
            }
            int same = 0;
            while (same < b && !ReferenceEquals(cache.SegmentOf(same), segment)) same++;
            if (same < b)
            {
                at[b].SegmentKeys = at[same].SegmentKeys;
                at[b].SegmentValues = at[same].SegmentValues;
            }
            else
            {
                at[b].SegmentKeys = (nint)TensorMemory.Floats(segment.Keys(layer));
                at[b].SegmentValues = (nint)TensorMemory.Floats(segment.Values(layer));
            }
            at[b].SegmentLength = (int)segment.Length;
        }
    }

    // Qwen3's per-head norm (when the layer has one), then the rotation of the head's leading dimensions.
    private static void PositionHead(float* x, int dim, float* norm, float eps, float* cos, float* sin, int rotary)
    {
        if (norm is not null) ManagedRmsNorm.Apply(x, norm, x, 1, dim, eps);
        ManagedRotary.Rotate(x, cos, sin, rotary);
    }

    private static void AddInPlace(float* x, float* y, int count) =>
        TensorPrimitives.Add(new ReadOnlySpan<float>(x, count), new ReadOnlySpan<float>(y, count), new Span<float>(x, count));
}
