using System.Diagnostics;
using TestTimeScaling.Arithmetic;
using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Support;
using TestTimeScaling.Training;
using TorchSharp;
using Xunit.Abstractions;

namespace TestTimeScaling.Torch.Tests.Generation;

/// <summary>
/// The continuous-batching figure of docs/batching.md (TTS_MEASURE=1): 8 concurrent single-sample calls of
/// different prompts against the same 8 calls one after another, as a ratio measured in one run. Not asserted.
/// </summary>
public sealed class ConcurrentThroughputMeasurement(ITestOutputHelper output)
{
    [EnvironmentFact("TTS_MEASURE")]
    public async Task Measure_eight_concurrent_calls_against_eight_sequential_ones()
    {
        int threads = torch.get_num_threads();
        torch.set_num_threads(1);
        try
        {
            using (var policy = LanguageModel.Load(Path.Combine(EmbeddedModels.Locate(), EmbeddedModels.PolicyFolder)))
            {
                var prompts = ProblemGenerator.Generate(8, seed: 2026, level: 3).Select(p => p.Prompt).ToList();
                await Measure("embedded policy (arithmetic-policy)", policy.CreateSampler(new GenerationEngineOptions { ReuseCacheAcrossCalls = false }), prompts, maxNew: 100);
            }
            var config = new ModelConfig
            {
                VocabSize = 256, HiddenSize = 256, IntermediateSize = 688, NumHiddenLayers = 4,
                NumAttentionHeads = 8, NumKeyValueHeads = 4, HeadDim = 32, MaxPositionEmbeddings = 512,
                EosTokenIds = [],
            };
            using var model = LlamaDecoder.Create(config, seed: 1);
            var chars = new CharTokenizer();
            var llamaPrompts = Enumerable.Range(0, 8).Select(i => $"q: {17 + 31 * i}+{205 - 7 * i}*3-{69 + i}\n").ToList();
            await Measure("random Llama 3.3M, 64 tokens each", new GenerationEngine(model, chars, new GenerationEngineOptions { ReuseCacheAcrossCalls = false }), llamaPrompts, maxNew: 64);
        }
        finally
        {
            torch.set_num_threads(threads);
        }
    }

    private async Task Measure(string name, GenerationEngine engine, List<string> prompts, int maxNew)
    {
        using var _ = engine;
        SampleRequest Request(int i) => new() { Prompt = prompts[i], Options = new() { Temperature = 0.8, MaxNewTokens = maxNew, Seed = i } };
        // Fastest of several rounds of each (round 0 warms up): on a shared machine the minimum is the least disturbed.
        // Each round runs both attention forms of the decode steps (DecodeAttention, SDPA), interleaved.
        var fastestSequential = new Dictionary<bool, double> { [true] = double.MaxValue, [false] = double.MaxValue };
        var fastestConcurrent = new Dictionary<bool, double>(fastestSequential);
        try
        {
            for (int round = 0; round < 10; round++)
            foreach (bool decodeAttention in new[] { true, false })
            {
                DecodeAttention.Enabled = decodeAttention;
                long steps = engine.Scheduler.DecodeSteps;
                var clock = Stopwatch.StartNew();
                long sequentialTokens = 0;
                for (int i = 0; i < prompts.Count; i++) sequentialTokens += (await engine.SampleAsync(Request(i))).Usage.GeneratedTokens;
                double sequential = clock.Elapsed.TotalMilliseconds;
                long sequentialSteps = engine.Scheduler.DecodeSteps - steps;
                steps = engine.Scheduler.DecodeSteps;
                clock.Restart();
                var results = await Task.WhenAll(Enumerable.Range(0, prompts.Count).Select(i => engine.SampleAsync(Request(i))));
                double concurrent = clock.Elapsed.TotalMilliseconds;
                long concurrentSteps = engine.Scheduler.DecodeSteps - steps;
                long concurrentTokens = results.Sum(r => r.Usage.GeneratedTokens);
                if (round > 0)
                {
                    fastestSequential[decodeAttention] = Math.Min(fastestSequential[decodeAttention], sequential);
                    fastestConcurrent[decodeAttention] = Math.Min(fastestConcurrent[decodeAttention], concurrent);
                }
                output.WriteLine($"{name}, round {round}, {Form(decodeAttention)}: sequential {sequentialTokens} tokens in {sequential:F0} ms ({sequentialSteps} steps), concurrent {concurrentTokens} tokens in {concurrent:F0} ms ({concurrentSteps} steps): {sequential / concurrent:F2}x");
            }
        }
        finally
        {
            DecodeAttention.Enabled = true;
        }
        foreach (bool form in new[] { true, false })
        {
            output.WriteLine($"{name}, {Form(form)}: fastest sequential {fastestSequential[form]:F0} ms, fastest concurrent {fastestConcurrent[form]:F0} ms");
            output.WriteLine($"{name}, {Form(form)}: best ratio {fastestSequential[form] / fastestConcurrent[form]:F2}x");
        }
    }

    private static string Form(bool decodeAttention) => decodeAttention ? "DecodeAttention" : "SDPA";
}
