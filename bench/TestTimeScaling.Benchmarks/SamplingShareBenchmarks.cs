using BenchmarkDotNet.Attributes;
using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// What drawing the next tokens costs beside the decode step that produced the logits, at 64 rows over a 32k
/// vocabulary (the 22.6M-parameter peer model): <see cref="DecodeStep"/> is one greedy 64-row step (a 16-token greedy
/// call of 64 rows, divided by 16 in the figures), <see cref="Draw"/> the default draw at temperature 1 (two-level
/// inverse CDF on exp(x - max), the log-normaliser from the same sums), <see cref="DrawOneLevel"/> the one-level
/// inverse-CDF draw it replaced (softmax, prefix sum over the vocabulary, a separate log-sum-exp for the logprobs),
/// <see cref="DrawMultinomial"/> torch's multinomial over the full softmax (the draw before that).
/// </summary>
[MemoryDiagnoser]
public class SamplingShareBenchmarks
{
    private const int Rows = 64;
    private LlamaDecoder _model = null!;
    private GenerationEngine _engine = null!;
    private Tensor _logits = null!;
    private Generator _generator = null!;

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(LlamaCppSideBySideBenchmarks.Threads);
        _model = LlamaDecoder.Create(PeerModels.Small, seed: 1);
        _engine = new GenerationEngine(_model, new PeerTokenizer(Enumerable.Range(3, 32).ToArray()),
            new GenerationEngineOptions { ReuseCacheAcrossCalls = false, AddBosToken = false });
        _logits = randn(Rows, PeerModels.Small.VocabSize) * 3;
        _generator = new Generator(1);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _engine.Dispose();
        _model.Dispose();
        _logits.Dispose();
        _generator.Dispose();
    }

    /// <summary>16 greedy decode steps of 64 rows (argmax only), after one 32-token prefill.</summary>
    [Benchmark(Baseline = true)]
    public int DecodeStep() => _engine.SampleAsync(new SampleRequest
    {
        Prompt = PeerTokenizer.PromptText,
        N = Rows,
        Options = new SamplingOptions { Temperature = 0, MaxNewTokens = 16, IncludeLogprobs = false },
    }).GetAwaiter().GetResult().Completions.Count;

    /// <summary>The default draw: exp(x - max), block sums, two short prefix sums, one uniform per row, plus the chosen tokens' logprobs.</summary>
    [Benchmark]
    public long Draw() => TokenSampler.Sample(_logits, new SamplingOptions(), _generator).Tokens[0];

    /// <summary>The previous default, for the ratio: softmax, prefix sum over the vocabulary, one uniform per row, log-sum-exp for the logprobs.</summary>
    [Benchmark]
    public long DrawOneLevel()
    {
        using var scope = NewDisposeScope();
        var cdf = _logits.softmax(-1).cumsum(-1);
        var u = rand(Rows, 1, generator: _generator) * cdf[.., ^1..];
        var chosen = searchsorted(cdf, u, right: true).clamp_max(_logits.shape[^1] - 1);
        var logprobs = (_logits.gather(-1, chosen) - _logits.logsumexp(-1, keepdim: true)).cpu().data<float>().ToArray();
        return chosen.cpu().data<long>()[0] + (long)logprobs[0];
    }

    /// <summary>The multinomial draw over the full softmax, plus the logprobs.</summary>
    [Benchmark]
    public long DrawMultinomial() => TokenSampler.Sample(_logits, new SamplingOptions(), _generator, TokenDrawMethod.Multinomial).Tokens[0];
}
