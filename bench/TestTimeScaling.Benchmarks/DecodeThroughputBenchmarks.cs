using TestTimeScaling.Torch;
using BenchmarkDotNet.Attributes;
using TorchSharp;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// Decode throughput of n samples of one prompt: one batched call (the prompt prefilled once and
/// forked, n rows per decode step) against n sequential single-sample calls. Each sample generates
/// <see cref="NewTokens"/> tokens; the Tokens/s column divides n x NewTokens by the mean time.
/// </summary>
[MemoryDiagnoser]
public class DecodeThroughputBenchmarks
{
    /// <summary>Tokens generated per sample.</summary>
    public const int NewTokens = 64;

    private LlamaDecoder _model = null!;
    private GenerationEngine _batched = null!;
    private GenerationEngine _single = null!;
    private const string Prompt = "Q: 117 +205 /2 -69 *3 -200 +69\n";

    /// <summary>Samples per prompt.</summary>
    [Params(1, 8, 64)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        // One intra-op thread: small decode steps gain little from more, and a second OpenMP thread that
        // competes with any other process for a core turns spin-waits into stalls that swamp the figures.
        torch.set_num_threads(1);
        // A small Llama (~3.3 M parameters): 4 layers, width 256, GQA 8/4 heads, 256-token vocabulary.
        var config = new ModelConfig
        {
            VocabSize = 256, HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 4,
            NumAttentionHeads = 8, NumKeyValueHeads = 4, HeadDim = 32, MaxPositionEmbeddings = 512,
        };
        _model = LlamaDecoder.Create(config, seed: 1);
        // Cache reuse off: every call starts from scratch, as n independent requests would.
        var options = new GenerationEngineOptions { ReuseCacheAcrossCalls = false };
        _batched = new GenerationEngine(_model, new BenchmarkTokenizer(), options);
        _single = new GenerationEngine(_model, new BenchmarkTokenizer(), options);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _batched.Dispose();
        _single.Dispose();
        _model.Dispose();
    }

    private static SampleRequest Request(int n, long seed) => new()
    {
        Prompt = Prompt,
        N = n,
        Options = new SamplingOptions { Temperature = 1.0, MaxNewTokens = NewTokens, Seed = seed, IncludeLogprobs = true },
    };

    /// <summary>One call: n rows decode together.</summary>
    [Benchmark(Baseline = true)]
    public int Batched() => _batched.SampleAsync(Request(N, 1)).GetAwaiter().GetResult().Completions.Count;

    /// <summary>n calls of one sample each.</summary>
    [Benchmark]
    public int Sequential()
    {
        int count = 0;
        for (int i = 0; i < N; i++) count += _single.SampleAsync(Request(1, i)).GetAwaiter().GetResult().Completions.Count;
        return count;
    }
}
