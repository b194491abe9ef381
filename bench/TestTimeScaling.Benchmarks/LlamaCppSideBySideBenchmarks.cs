using System.Numerics.Tensors;
using System.Text.Json.Nodes;
using BenchmarkDotNet.Attributes;
using TestTimeScaling.Torch;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>
/// This library's engine and llama.cpp (LLamaSharp's CPU backend) side by side on the same random weights, exported
/// with <see cref="GgufExporter"/>: n greedy continuations of 64 tokens from one 32-token prompt, at equal thread
/// counts. <see cref="WeightRead"/> and <see cref="WeightRead2"/> are the bandwidth roofline measured in the same
/// process, on one and on two threads: one fp32 pass over as many bytes as the model's weights, about the least any
/// batch-1 decode step must read. Before timing, the setup checks that
/// both give the same logits for the prompt (llama.cpp with flash attention off and an F32 cache for that check).
/// </summary>
[MemoryDiagnoser]
public class LlamaCppSideBySideBenchmarks
{
    /// <summary>Tokens generated per sample.</summary>
    public const int NewTokens = 64;

    /// <summary>Threads for both engines.</summary>
    public const int Threads = 2;

    private static readonly int[] Prompt = Enumerable.Range(0, 32).Select(i => 3 + (i * 7919) % 31000).ToArray();
    private string _directory = "";
    private LlamaDecoder _model = null!;
    private GenerationEngine _engine = null!;
    private LlamaCppDecoder _llama = null!;
    private float[] _weightsSizedBuffer = [];

    /// <summary>Model size: "22.6M" or "124.7M" parameters.</summary>
    [Params("22.6M", "124.7M")]
    public string Model { get; set; } = "22.6M";

    /// <summary>Samples per prompt.</summary>
    [Params(1, 8, 64)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        torch.set_num_threads(Threads);
        var config = PeerModels.ByName(Model);
        _model = LlamaDecoder.Create(config, seed: 1);
        _directory = Path.Combine(Path.GetTempPath(), "tts-peer-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        string gguf = Path.Combine(_directory, "model.gguf");
        GgufExporter.Export(_model, WriteTokenizer(_directory, 256), gguf);

        var options = new GenerationEngineOptions { ReuseCacheAcrossCalls = false, AddBosToken = false };
        _engine = new GenerationEngine(_model, new PeerTokenizer(Prompt), options);
        CheckParity(gguf);
        _llama = new LlamaCppDecoder(gguf, N, N * (Prompt.Length + NewTokens) + 256, Threads, exact: false);
        _weightsSizedBuffer = new float[_model.parameters().Sum(p => p.numel())];
        for (int i = 0; i < _weightsSizedBuffer.Length; i++) _weightsSizedBuffer[i] = i % 7;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _llama.Dispose();
        _engine.Dispose();
        _model.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>This library's engine: one call, the prompt prefilled once and forked to n rows.</summary>
    [Benchmark(Baseline = true)]
    public int Ours() => _engine.SampleAsync(new SampleRequest
    {
        Prompt = PeerTokenizer.PromptText,
        N = N,
        Options = new SamplingOptions { Temperature = 0, MaxNewTokens = NewTokens, IncludeLogprobs = false },
    }).GetAwaiter().GetResult().Completions.Sum(c => c.GeneratedTokens);

    /// <summary>llama.cpp: the prompt decoded once and shared by n sequences, one n-token batch per step.</summary>
    [Benchmark]
    public int LlamaCpp() => _llama.Generate(Prompt, N, NewTokens);

    /// <summary>The roofline on one thread: one read of the weights' worth of fp32 values (a batch-1 step cannot read less).</summary>
    [Benchmark]
    public float WeightRead() => TensorPrimitives.Sum<float>(_weightsSizedBuffer);

    /// <summary>The roofline at the suite's thread count: the same read split across <see cref="Threads"/> threads, as both engines decode.</summary>
    [Benchmark]
    public float WeightRead2() => Roofline.ParallelSum(_weightsSizedBuffer, Threads);

    private void CheckParity(string gguf)
    {
        using var exact = new LlamaCppDecoder(gguf, 1, Prompt.Length + 8, Threads, exact: true);
        float[] theirs = exact.PromptLogits(Prompt);
        float[] ours;
        using (NewDisposeScope())
        using (no_grad())
            ours = _model.Forward(tensor(Prompt.Select(i => (long)i).ToArray()).unsqueeze(0))[0, -1].data<float>().ToArray();
        double diff = ours.Zip(theirs, (a, b) => Math.Abs(a - b)).Max();
        if (diff > 1e-3) throw new InvalidOperationException($"Parity check failed: llama.cpp's prompt logits differ by {diff}.");
        Console.WriteLine($"// Parity: prompt logits of {Model} equal llama.cpp's within {diff:E2}.");
    }

    internal static string WriteTokenizer(string directory, int symbols)
    {
        var vocab = new JsonObject();
        for (int i = 0; i < symbols; i++) vocab[$"t{i}"] = i;
        var json = new JsonObject
        {
            ["model"] = new JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new JsonArray() },
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true },
        };
        string path = Path.Combine(directory, "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }
}
