using System.Diagnostics;
using System.Globalization;
using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// Q8_0 decode side by side (<c>--peer-smoke-q8</c>): the peer models' random weights exported to a Q8_0 GGUF for
/// llama.cpp, and this library's engine with <see cref="LlamaDecoder.DecodeWeights"/> = Q8_0 (and, as the A/B
/// reference, an fp32 twin), n greedy continuations of 64 tokens from the side-by-side suite's 32-token prompt on
/// 2 threads, the three interleaved round by round in one process. Before timing, the logits after the prompt fed
/// one token at a time (so every product of ours runs on the Q8_0 copy) are compared with llama.cpp's over the same
/// Q8_0 file (flash attention off, F32 cache).
/// </summary>
internal static class QuantizedPeerSmoke
{
    private static readonly int[] Prompt = Enumerable.Range(0, 32).Select(i => 3 + (i * 7919) % 31000).ToArray();

    public static void Run(TextWriter output, int rounds)
    {
        torch.set_num_threads(LlamaCppSideBySideBenchmarks.Threads);
        foreach (string name in new[] { "22.6M", "124.7M" })
        {
            var config = PeerModels.ByName(name);
            using var quantized = LlamaDecoder.Create(config, seed: 1);
            using var plain = LlamaDecoder.Create(config, seed: 1);
            quantized.DecodeWeights = DecodeWeightFormat.Q8_0;
            string directory = Path.Combine(Path.GetTempPath(), "tts-peer-q8-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(directory);
            try
            {
                string gguf = Path.Combine(directory, "model-q8_0.gguf");
                GgufExporter.Export(plain, LlamaCppSideBySideBenchmarks.WriteTokenizer(directory, 256), gguf, new GgufExportOptions { WeightType = GgufWeightType.Q8_0 });
                Parity(output, name, quantized, plain, gguf);
                foreach (int n in new[] { 1, 8 }) Time(output, name, n, quantized, plain, gguf, rounds);
            }
            finally
            {
                Directory.Delete(directory, recursive: true);
            }
        }
    }

    private static void Parity(TextWriter output, string name, LlamaDecoder quantized, LlamaDecoder plain, string gguf)
    {
        float[] theirs;
        using (var exact = new LlamaCppDecoder(gguf, 1, Prompt.Length + 8, LlamaCppSideBySideBenchmarks.Threads, exact: true))
            theirs = exact.PromptLogits(Prompt);
        var clock = Stopwatch.StartNew();
        float[] ours = StepwiseLogits(quantized);
        double quantizeMs = clock.Elapsed.TotalMilliseconds;
        float[] fp32 = StepwiseLogits(plain);
        double scale = fp32.Max(MathF.Abs);
        output.WriteLine(FormattableString.Invariant(
            $"{name} parity after the 32-token prompt (max |logit| {scale:F3}): ours Q8_0 vs llama.cpp Q8_0 {MaxDiff(ours, theirs):E2}, ours Q8_0 vs ours fp32 {MaxDiff(ours, fp32):E2}, llama.cpp Q8_0 vs ours fp32 {MaxDiff(theirs, fp32):E2}; argmax ours Q8_0 {Argmax(ours)}, llama.cpp Q8_0 {Argmax(theirs)}, fp32 {Argmax(fp32)}; first Q8_0 pass incl. quantizing {quantizeMs:F0} ms"));
    }

    // The prompt one token per step: every step qualifies for the managed step, so every product reads the format's weights.
    private static float[] StepwiseLogits(LlamaDecoder model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = new KvCache(model.Config, rows: 1, capacity: Prompt.Length, CPU, ScalarType.Float32);
        Tensor logits = null!;
        foreach (int token in Prompt)
            logits = model.Forward(tensor(new long[] { token }, [1, 1]), cache, [1]);
        return logits[0].data<float>().ToArray();
    }

    private static void Time(TextWriter output, string name, int n, LlamaDecoder quantized, LlamaDecoder plain, string gguf, int rounds)
    {
        var options = new GenerationEngineOptions { ReuseCacheAcrossCalls = false, AddBosToken = false };
        using var oursQ8 = new GenerationEngine(quantized, new PeerTokenizer(Prompt), options);
        using var oursFp32 = new GenerationEngine(plain, new PeerTokenizer(Prompt), options);
        using var llama = new LlamaCppDecoder(gguf, n, n * (Prompt.Length + LlamaCppSideBySideBenchmarks.NewTokens) + 256, LlamaCppSideBySideBenchmarks.Threads, exact: false);
        var runs = new (string Name, Func<int> Run, List<double> Rates)[]
        {
            ("ours Q8_0", () => Sample(oursQ8, n), []),
            ("ours fp32", () => Sample(oursFp32, n), []),
            ("llama.cpp Q8_0", () => llama.Generate(Prompt, n, LlamaCppSideBySideBenchmarks.NewTokens), []),
        };
        foreach (var run in runs) run.Run(); // warm-up
        for (int round = 0; round < rounds; round++)
            foreach (var run in runs)
            {
                var clock = Stopwatch.StartNew();
                int tokens = run.Run();
                run.Rates.Add(tokens / clock.Elapsed.TotalSeconds);
            }
        double Median(List<double> rates) => rates.Order().ElementAt(rates.Count / 2);
        double q8 = Median(runs[0].Rates), fp32 = Median(runs[1].Rates), theirs = Median(runs[2].Rates);
        output.WriteLine(FormattableString.Invariant(
            $"{name} n={n}: ours Q8_0 {q8:F1} tok/s, ours fp32 {fp32:F1} tok/s, llama.cpp Q8_0 {theirs:F1} tok/s; ours Q8_0 / llama.cpp Q8_0 = {q8 / theirs:F2}x, ours Q8_0 / ours fp32 = {q8 / fp32:F2}x (median of {rounds}: {string.Join(" | ", runs.Select(r => string.Join(",", r.Rates.Select(x => x.ToString("F0", CultureInfo.InvariantCulture)))))})"));
    }

    private static int Sample(GenerationEngine engine, int n) => engine.SampleAsync(new SampleRequest
    {
        Prompt = PeerTokenizer.PromptText,
        N = n,
        Options = new SamplingOptions { Temperature = 0, MaxNewTokens = LlamaCppSideBySideBenchmarks.NewTokens, IncludeLogprobs = false },
    }).GetAwaiter().GetResult().Completions.Sum(c => c.GeneratedTokens);

    private static double MaxDiff(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    private static int Argmax(float[] values) => Array.IndexOf(values, values.Max());
}
