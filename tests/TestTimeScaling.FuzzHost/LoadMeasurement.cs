using System.Diagnostics;
using System.Globalization;
using TestTimeScaling.Torch;
using static TorchSharp.torch;

namespace TestTimeScaling.FuzzHost;

/// <summary>Writes a ~0.5B-parameter checkpoint and measures how long loading it takes and how much memory it holds.</summary>
internal static class LoadMeasurement
{
    public static int WriteLarge(string directory, string dtypeName)
    {
        ScalarType dtype = dtypeName switch
        {
            "float32" => ScalarType.Float32,
            "bfloat16" => ScalarType.BFloat16,
            _ => throw new ArgumentException($"Unknown dtype '{dtypeName}' (float32 or bfloat16).", nameof(dtypeName)),
        };
        // The shape of Qwen2.5-0.5B: 494M parameters with the tied embedding.
        var config = new ModelConfig
        {
            ModelType = "qwen2",
            Architecture = "Qwen2ForCausalLM",
            VocabSize = 151936,
            HiddenSize = 896,
            IntermediateSize = 4864,
            NumHiddenLayers = 24,
            NumAttentionHeads = 14,
            NumKeyValueHeads = 2,
            HeadDim = 64,
            MaxPositionEmbeddings = 32768,
            RmsNormEps = 1e-6,
            RopeTheta = 1e6,
            TieWordEmbeddings = true,
            AttentionBias = true,
            TorchDtype = dtypeName,
        };
        using var model = LlamaDecoder.Create(config, seed: 1, dtype: dtype);
        DecoderCheckpoint.Save(model, directory);
        Console.WriteLine($"wrote {directory} ({dtypeName}, {new FileInfo(Path.Combine(directory, Safetensors.SingleFileName)).Length:N0} bytes)");
        return 0;
    }

    public static int Measure(string directory)
    {
        // Start libtorch first, so its own start-up memory is in the baseline, not in the figure for loading.
        using (var warm = ones(4)) warm.sum().item<float>();
        long before = Status("VmRSS");
        var clock = Stopwatch.StartNew();
        using var model = DecoderCheckpoint.Load(directory);
        clock.Stop();
        long parameters = model.parameters().Sum(p => p.numel());
        long after = Status("VmRSS");
        long peak = Status("VmHWM");
        long weights = new FileInfo(Path.Combine(directory, Safetensors.SingleFileName)).Length;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{{\"seconds\": {clock.Elapsed.TotalSeconds:F2}, \"parameters\": {parameters}, \"file_bytes\": {weights}, " +
            $"\"fp32_model_bytes\": {parameters * 4}, \"rss_before\": {before}, \"rss_after\": {after}, \"peak_rss\": {peak}}}"));
        return 0;
    }

    // Bytes of a /proc/self/status line such as "VmHWM:  123456 kB".
    private static long Status(string key)
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
        {
            if (!line.StartsWith(key + ":", StringComparison.Ordinal)) continue;
            string number = line[(key.Length + 1)..].Trim().Split(' ')[0];
            return long.Parse(number, CultureInfo.InvariantCulture) * 1024;
        }
        throw new InvalidOperationException($"/proc/self/status has no {key}.");
    }
}
