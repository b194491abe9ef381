using LLama;
using LLama.Common;
using LLama.Native;

namespace TestTimeScaling.Torch.Tests.Export;

/// <summary>llama.cpp (through LLamaSharp's CPU backend) running a GGUF file: the independent side of the export tests.</summary>
internal sealed class LlamaCppRunner : IDisposable
{
    private static readonly object NativeSetup = new();
    private static bool _quiet;
    private readonly LLamaWeights _weights;
    private readonly LLamaContext _context;

    public LlamaCppRunner(string ggufPath, int contextSize)
    {
        lock (NativeSetup)
        {
            if (!_quiet)
            {
                // llama.cpp logs every load at info level; keep the test output readable.
                NativeLibraryConfig.All.WithLogCallback((level, message) => { });
                _quiet = true;
            }
        }
        var parameters = new ModelParams(ggufPath)
        {
            ContextSize = (uint)contextSize,
            BatchSize = (uint)contextSize,
            UBatchSize = (uint)contextSize,
            Threads = 1,
            GpuLayerCount = 0,
            // Exact attention for the parity check: flash attention reorders the sums.
            FlashAttention = false,
            // llama.cpp keeps its KV cache in F16 by default; F32 keeps the comparison about the export, not the cache.
            TypeK = GGMLType.GGML_TYPE_F32,
            TypeV = GGMLType.GGML_TYPE_F32,
        };
        _weights = LLamaWeights.LoadFromFile(parameters);
        _context = _weights.CreateContext(parameters);
    }

    /// <summary>Logits at every position of <paramref name="tokens"/>, [T][vocab], from one fresh sequence.</summary>
    public float[][] Logits(IReadOnlyList<int> tokens)
    {
        _context.NativeHandle.MemoryClear(true);
        var batch = new LLamaBatch();
        for (int i = 0; i < tokens.Count; i++) batch.Add(tokens[i], i, LLamaSeqId.Zero, logits: true);
        var result = _context.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama.cpp decode failed: {result}.");
        return Enumerable.Range(0, tokens.Count).Select(i => _context.NativeHandle.GetLogitsIth(i).ToArray()).ToArray();
    }

    /// <summary>A metadata value of the loaded file as llama.cpp read it, or null.</summary>
    public string? Metadata(string key) => _weights.Metadata.TryGetValue(key, out var value) ? value : null;

    /// <summary>llama.cpp's own tokenization of <paramref name="text"/> (no BOS, specials parsed).</summary>
    public int[] Tokenize(string text) => _context.Tokenize(text, addBos: false, special: true).Select(t => (int)t).ToArray();

    public void Dispose()
    {
        _context.Dispose();
        _weights.Dispose();
    }
}
