using TestTimeScaling.Torch.Tests.Loading;
using TestTimeScaling.Torch.Tests.Support;
using TestTimeScaling.Training;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch.Tests.Export;

/// <summary>
/// The GGUF exporter checked against llama.cpp itself: a model written by <see cref="GgufExporter"/> and run by
/// llama.cpp gives the logits this library computes (F32 exactly up to float rounding; F16/BF16/Q8_0 within their precision).
/// </summary>
public sealed class GgufExportTests
{
    private const string Prompt = "Q: 17 +8 *3 -12\n";

    [Fact]
    public void TheEmbeddedPolicyRunsInLlamaCppWithTheSameLogitsAndTokens()
    {
        using var policy = LanguageModel.Load(Path.Combine(EmbeddedModels.Locate(), EmbeddedModels.PolicyFolder));
        using var temp = new TempDirectory();
        string gguf = temp.File("policy.gguf");
        GgufExporter.Export(policy, gguf);

        int[] ids = policy.Tokenizer.Encode(Prompt).ToArray();
        using var llama = new LlamaCppRunner(gguf, 64);
        Assert.Equal(ids, llama.Tokenize(Prompt));
        double diff = MaxDifference(Ours(policy.Decoder, ids), llama.Logits(ids));
        Assert.True(diff < 1e-4, $"max |logit difference| {diff}");
    }

    [Theory]
    [MemberData(nameof(TinyModels.Variants), MemberType = typeof(TinyModels))]
    public void EveryArchitectureVariantMatchesLlamaCpp(string name, ModelConfig config)
    {
        using var model = TinyModels.Random(config);
        using var temp = new TempDirectory();
        string gguf = temp.File(name + ".gguf");
        if (!LlamaCppRunsIt(config))
        {
            // Variants whose graph llama.cpp's Llama lacks are refused, never written wrong.
            Assert.Throws<NotSupportedException>(() => GgufExporter.Export(model, WriteTokenizer(temp, config.VocabSize - 8), gguf));
            Assert.False(File.Exists(gguf));
            return;
        }
        GgufExporter.Export(model, WriteTokenizer(temp, config.VocabSize - 8), gguf);

        int[] ids = [3, 17, 5, 9, 30, 2, 11, 25, 7, 13, 4, 19];
        using var llama = new LlamaCppRunner(gguf, 64);
        double diff = MaxDifference(Ours(model, ids), llama.Logits(ids));
        Assert.True(diff < 1e-4, $"{name}: max |logit difference| {diff}");
    }

    [Theory]
    [InlineData("llama-attention-bias")]
    [InlineData("llama-mlp-bias")]
    public void LlamaBiasesMatchLlamaCpp(string name)
    {
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2, AttentionBias = name.Contains("attention"), MlpBias = name.Contains("mlp") };
        EveryArchitectureVariantMatchesLlamaCpp(name, config);
    }

    [Theory]
    [InlineData("hidden_act")]
    [InlineData("partial_rotary_factor")]
    [InlineData("sliding_window")]
    [InlineData("model_type")]
    public void ConfigsLlamaCppCannotRunAreRefusedByKey(string key)
    {
        var config = key switch
        {
            "hidden_act" => TinyModels.Llama() with { HiddenAct = "gelu" },
            "partial_rotary_factor" => TinyModels.Llama() with { PartialRotaryFactor = 0.5 },
            "sliding_window" => TinyModels.Llama() with { ModelType = "mistral", Architecture = "MistralForCausalLM", SlidingWindow = 16 },
            _ => TinyModels.Llama() with { ModelType = "qwen3", Architecture = "Qwen3ForCausalLM" },
        };
        using var model = TinyModels.Random(config);
        using var temp = new TempDirectory();
        var error = Assert.Throws<NotSupportedException>(() => GgufExporter.Export(model, WriteTokenizer(temp, 40), temp.File("m.gguf")));
        Assert.Contains(key, error.Message);
    }

    [Theory]
    [InlineData(GgufWeightType.F16, 0.02)]
    [InlineData(GgufWeightType.BF16, 0.1)]
    [InlineData(GgufWeightType.Q8_0, 0.1)]
    public void HalfAndEightBitExportsStayCloseToTheFp32Logits(GgufWeightType type, double tolerance)
    {
        var config = TinyModels.Llama() with { NumKeyValueHeads = 2 };
        using var model = TinyModels.Random(config);
        using var temp = new TempDirectory();
        string gguf = temp.File("model.gguf");
        GgufExporter.Export(model, WriteTokenizer(temp, config.VocabSize - 8), gguf, new GgufExportOptions { WeightType = type });

        int[] ids = [3, 17, 5, 9, 30, 2, 11, 25];
        using var llama = new LlamaCppRunner(gguf, 64);
        float[][] ours = Ours(model, ids), theirs = llama.Logits(ids);
        double diff = MaxDifference(ours, theirs);
        double scale = ours.SelectMany(x => x).Max(Math.Abs);
        Assert.True(diff < tolerance * scale, $"{type}: max |logit difference| {diff} against logits up to {scale}");
        // The lower precision is real: the logits are not bit-identical to fp32.
        Assert.True(diff > 0, $"{type} export gave exactly the fp32 logits");
    }

    [Fact]
    public void RewardModelsAndUnknownTensorsAreRefusedByName()
    {
        using var prm = TinyModels.Random(TinyModels.Llama() with { Architecture = "LlamaForTokenClassification", NumLabels = 1 });
        using var temp = new TempDirectory();
        var error = Assert.Throws<NotSupportedException>(() => GgufExporter.Export(prm, WriteTokenizer(temp, 40), temp.File("prm.gguf")));
        Assert.Contains("LlamaForTokenClassification", error.Message);
        Assert.False(File.Exists(temp.File("prm.gguf")));

        var unknown = Assert.Throws<NotSupportedException>(() => GgufExporter.GgufName("model.layers.0.self_attn.q_norm.weight"));
        Assert.Contains("q_norm", unknown.Message);
    }

    [Fact]
    public void APreTokenizerWithoutALlamaCppNameIsRefusedBeforeAnythingIsWritten()
    {
        using var model = TinyModels.Random(TinyModels.Llama());
        using var temp = new TempDirectory();
        string path = WriteTokenizer(temp, 40);
        // Llama 3's split with its digit rule changed to runs of four: close to a known pattern, but not one.
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!;
        json["pre_tokenizer"] = System.Text.Json.Nodes.JsonNode.Parse("""
            {"type": "Sequence", "pretokenizers": [
              {"type": "Split", "pattern": {"Regex": "\\p{N}{1,4}| ?\\p{L}+|\\s+"}, "behavior": "Isolated", "invert": false},
              {"type": "ByteLevel", "add_prefix_space": false, "trim_offsets": true, "use_regex": false}]}
            """);
        File.WriteAllText(path, json.ToJsonString());

        var error = Assert.Throws<NotSupportedException>(() => GgufExporter.Export(model, path, temp.File("m.gguf")));
        Assert.Contains("pre-tokenizer", error.Message);
        Assert.Contains(path, error.Message);
        Assert.False(File.Exists(temp.File("m.gguf")));
    }

    [Fact]
    public void Q8BlocksFollowGgmlsReferenceQuantizer()
    {
        float[] values = Enumerable.Range(0, 32).Select(i => (i - 16) * 0.25f).ToArray(); // max |x| = 4
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, System.Text.Encoding.UTF8, leaveOpen: true)) GgufEncoding.Write(w, GgmlType.Q8_0, values);
        byte[] bytes = stream.ToArray();
        Assert.Equal(34, bytes.Length);
        float scale = (float)BitConverter.UInt16BitsToHalf(BitConverter.ToUInt16(bytes, 0));
        Assert.Equal(4f / 127f, scale, 1e-3f);
        Assert.Equal(-127, (sbyte)bytes[2]);               // -4 / d
        Assert.Equal(0, (sbyte)bytes[2 + 16]);             // 0
        Assert.Equal((sbyte)MathF.Round(3.75f * 127f / 4f, MidpointRounding.AwayFromZero), (sbyte)bytes[2 + 31]);
    }

    /// <summary>What llama.cpp's Llama graph computes: SiLU, full rotary, default or Llama 3 rope, no window shorter than the context.</summary>
    private static bool LlamaCppRunsIt(ModelConfig config) =>
        config.ModelType is "llama" or "mistral" or "qwen2"
        && config.HiddenAct is "silu" or "swish"
        && config.PartialRotaryFactor == 1.0
        && config.RopeScaling?.RopeType is null or "default" or "llama3"
        && !(config.HasSlidingLayers && config.EffectiveSlidingWindow < config.MaxPositionEmbeddings);

    private static float[][] Ours(LlamaDecoder model, int[] ids)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.Forward(tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0))[0];
        return Enumerable.Range(0, ids.Length).Select(t => logits[t].data<float>().ToArray()).ToArray();
    }

    private static double MaxDifference(float[][] a, float[][] b)
    {
        Assert.Equal(a.Length, b.Length);
        double max = 0;
        for (int t = 0; t < a.Length; t++)
        {
            Assert.Equal(a[t].Length, b[t].Length);
            for (int v = 0; v < a[t].Length; v++) max = Math.Max(max, Math.Abs(a[t][v] - b[t][v]));
        }
        return max;
    }

    /// <summary>A byte-level BPE tokenizer.json of <paramref name="symbols"/> single-character tokens (ids past them stay unnamed).</summary>
    private static string WriteTokenizer(TempDirectory temp, int symbols)
    {
        var vocab = new System.Text.Json.Nodes.JsonObject();
        for (int i = 0; i < symbols; i++) vocab[((char)('A' + i)).ToString()] = i;
        var json = new System.Text.Json.Nodes.JsonObject
        {
            ["model"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "BPE", ["vocab"] = vocab, ["merges"] = new System.Text.Json.Nodes.JsonArray() },
            ["pre_tokenizer"] = new System.Text.Json.Nodes.JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true },
            ["added_tokens"] = new System.Text.Json.Nodes.JsonArray(),
        };
        string path = temp.File("tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        return path;
    }
}
