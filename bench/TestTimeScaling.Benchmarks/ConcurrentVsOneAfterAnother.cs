using System.Diagnostics;
using TestTimeScaling.Torch;
using TorchSharp;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// Issue 11's continuous-batching figure on a named model: <c>n</c> single-sample calls of different prompts made at
/// once (they share decode steps in the decoder's <see cref="DecodeScheduler"/>) against the same calls one after
/// another, fastest of several interleaved rounds after one untimed warm-up of each. Prompts are about 32 tokens and
/// every call generates 64 tokens, as in the side-by-side suite.
/// <c>dotnet run -c Release --project bench/TestTimeScaling.Benchmarks -- --concurrent [model] [n] [threads] [rounds]</c>.
/// </summary>
internal static class ConcurrentVsOneAfterAnother
{
    private const int NewTokens = DecodeThroughputBenchmarks.NewTokens;

    public static void Run(TextWriter output, string modelName = "22.6M", int n = 8, int threads = 2, int rounds = 3)
    {
        torch.set_num_threads(threads);
        var config = modelName == "3.3M" ? BatchedVsSequential.Tiny : PeerModels.ByName(modelName);
        using var model = LlamaDecoder.Create(config, seed: 1);
        using var engine = new GenerationEngine(model, new BenchmarkTokenizer(), new GenerationEngineOptions { ReuseCacheAcrossCalls = false });

        double Concurrent() => Time(() => Task.WhenAll(Enumerable.Range(0, n).Select(i => engine.SampleAsync(Request(i)))).GetAwaiter().GetResult());
        double OneAfterAnother() => Time(() =>
        {
            for (int i = 0; i < n; i++) engine.SampleAsync(Request(i)).GetAwaiter().GetResult();
        });

        Concurrent();
        OneAfterAnother();
        double concurrent = double.MaxValue, sequential = double.MaxValue;
        long stepsBefore = engine.Scheduler.DecodeSteps;
        for (int round = 0; round < rounds; round++)
        {
            double c = Concurrent(), s = OneAfterAnother();
            output.WriteLine($"  round {round}: concurrent {c * 1e3:F0} ms, one after another {s * 1e3:F0} ms: {s / c:F2}x");
            concurrent = Math.Min(concurrent, c);
            sequential = Math.Min(sequential, s);
        }
        output.WriteLine($"{modelName}, {threads} thread(s), {n} calls of different ~32-token prompts, {NewTokens} new tokens each:");
        output.WriteLine($"  concurrent {concurrent * 1e3:F0} ms ({n * NewTokens / concurrent:F0} tokens/s), one after another {sequential * 1e3:F0} ms ({n * NewTokens / sequential:F0} tokens/s): {sequential / concurrent:F2}x (fastest of {rounds})");
    }

    /// <summary>Call i: its own prompt (a different arithmetic problem, 31-33 tokens with the BOS) and seed.</summary>
    private static SampleRequest Request(int i) => new()
    {
        Prompt = $"Q: {117 + 31 * i} +{205 - 7 * i} /2 -{69 + i} *3 -{200 + 3 * i} +69\n",
        Options = new SamplingOptions { Temperature = 1.0, MaxNewTokens = NewTokens, Seed = i },
    };

    private static double Time(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }
}
