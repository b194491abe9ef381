using LLama;
using LLama.Common;
using LLama.Native;
using System.Numerics.Tensors;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// The llama.cpp side of the side-by-side suite: n greedy continuations of one prompt, the prompt decoded once on
/// sequence 0 and shared with the others through llama.cpp's unified KV cache (<c>llama_memory_seq_cp</c>), then one
/// batch of n tokens per step, as its batched examples do.
/// </summary>
internal sealed class LlamaCppDecoder : IDisposable
{
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;
    private readonly LLamaBatch _batch = new();

    // llama.cpp logs every load; the callback can be set once, before the native library loads.
    static LlamaCppDecoder() => NativeLibraryConfig.All.WithLogCallback((level, message) => { });

    public LlamaCppDecoder(string ggufPath, int maxRows, int contextTokens, int threads, bool exact)
    {
        var parameters = new ModelParams(ggufPath)
        {
            ContextSize = (uint)contextTokens,
            BatchSize = (uint)Math.Max(512, maxRows),
            UBatchSize = (uint)Math.Max(512, maxRows),
            SeqMax = (uint)maxRows,
            KVUnified = true,
            Threads = threads,
            BatchThreads = threads,
            GpuLayerCount = 0,
        };
        if (exact)
        {
            // For the parity check only: no flash attention, F32 cache. Timing uses llama.cpp's defaults.
            parameters.FlashAttention = false;
            parameters.TypeK = GGMLType.GGML_TYPE_F32;
            parameters.TypeV = GGMLType.GGML_TYPE_F32;
        }
        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
    }

    /// <summary>Logits after the last prompt token, from a fresh cache.</summary>
    public float[] PromptLogits(IReadOnlyList<int> prompt)
    {
        Prefill(prompt);
        return _context.NativeHandle.GetLogitsIth(prompt.Count - 1).ToArray();
    }

    /// <summary>Generates <paramref name="newTokens"/> greedy tokens in each of <paramref name="n"/> rows; returns tokens generated.</summary>
    public int Generate(IReadOnlyList<int> prompt, int n, int newTokens)
    {
        Prefill(prompt);
        int first = TensorPrimitives.IndexOfMax(_context.NativeHandle.GetLogitsIth(prompt.Count - 1));
        for (int row = 1; row < n; row++) _context.NativeHandle.MemorySequenceCopy(LLamaSeqId.Zero, (LLamaSeqId)row, 0, prompt.Count);
        var next = Enumerable.Repeat(first, n).ToArray();
        for (int step = 0; step < newTokens - 1; step++)
        {
            _batch.Clear();
            for (int row = 0; row < n; row++) _batch.Add(next[row], prompt.Count + step, (LLamaSeqId)row, logits: true);
            Decode();
            for (int row = 0; row < n; row++) next[row] = TensorPrimitives.IndexOfMax(_context.NativeHandle.GetLogitsIth(row));
        }
        return n * newTokens;
    }

    private void Prefill(IReadOnlyList<int> prompt)
    {
        _context.NativeHandle.MemoryClear(true);
        _batch.Clear();
        for (int i = 0; i < prompt.Count; i++) _batch.Add(prompt[i], i, LLamaSeqId.Zero, logits: i == prompt.Count - 1);
        Decode();
    }

    private void Decode()
    {
        var result = _context.Decode(_batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}.");
    }

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
