using TestTimeScaling.Torch;
using BenchmarkDotNet.Attributes;
using TorchSharp;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// Continuous batching: <see cref="N"/> single-sample calls with different prompts made at once (they share decode
/// steps in the decoder's <see cref="DecodeScheduler"/>) against the same calls served one after another. Each call
/// generates <see cref="DecodeThroughputBenchmarks.NewTokens"/> tokens; the Tokens/s column divides N x NewTokens by
/// the mean time, so the ratio of the two rows is the throughput gain (the goal: >= 5x at N = 8).
/// </summary>
[MemoryDiagnoser]
public class ConcurrentRequestsBenchmarks
{
    private LlamaDecoder _model = null!;
    private GenerationEngine _engine = null!;

    /// <summary>Calls in flight.</summary>
    [Params(8)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(1);
        // The same small Llama (~3.3 M parameters) as DecodeThroughputBenchmarks.
        var config = new ModelConfig
        {
            VocabSize = 256, HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 4,
            NumAttentionHeads = 8, NumKeyValueHeads = 4, HeadDim = 32, MaxPositionEmbeddings = 512,
        };
        _model = LlamaDecoder.Create(config, seed: 1);
        // Cache reuse off: independent requests, nothing carried from one to the next.
        _engine = new GenerationEngine(_model, new BenchmarkTokenizer(), new GenerationEngineOptions { ReuseCacheAcrossCalls = false });
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _model.Dispose();
    }

    /// <summary>Call i: its own prompt (a different arithmetic problem) and seed.</summary>
    internal static SampleRequest Request(int i) => new()
    {
        Prompt = $"Q: {17 + 31 * i} +{205 - 7 * i} /2 -{69 + i} *3\n",
        Options = new SamplingOptions { Temperature = 1.0, MaxNewTokens = DecodeThroughputBenchmarks.NewTokens, Seed = i },
    };

    /// <summary>N calls made at once: they decode together.</summary>
    [Benchmark]
    public int Concurrent() =>
        Task.WhenAll(Enumerable.Range(0, N).Select(i => _engine.SampleAsync(Request(i)))).GetAwaiter().GetResult().Sum(r => r.Completions.Count);

    /// <summary>The same N calls, each awaited before the next starts.</summary>
    [Benchmark(Baseline = true)]
    public int OneAfterAnother()
    {
        int count = 0;
        for (int i = 0; i < N; i++) count += _engine.SampleAsync(Request(i)).GetAwaiter().GetResult().Completions.Count;
        return count;
    }
}
