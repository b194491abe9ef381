using System.Text;
using System.Text.Json.Nodes;
using TestTimeScaling.Torch;
using TestTimeScaling.Torch.Tests.Loading;
using TestTimeScaling.Torch.Tests.Support;

namespace TestTimeScaling.Torch.Tests.Models;

/// <summary>config.json is read strictly: every key typed and bounded, every unimplemented setting refused by name.</summary>
public class ModelConfigJsonTests
{
    private const string Source = "test/config.json";

    private static JsonObject Base() => JsonNode.Parse("""
        {"architectures":["LlamaForCausalLM"],"model_type":"llama","vocab_size":48,"hidden_size":32,"intermediate_size":64,
         "num_hidden_layers":2,"num_attention_heads":4,"num_key_value_heads":2,"max_position_embeddings":64,
         "rms_norm_eps":1e-5,"rope_theta":10000.0,"bos_token_id":0,"eos_token_id":[1,2],"tie_word_embeddings":false}
        """)!.AsObject();

    private static ModelConfig Parse(JsonObject obj) => ModelConfig.FromJson(Encoding.UTF8.GetBytes(obj.ToJsonString()), Source);

    private static ModelConfig With(string key, JsonNode? value, string model = "llama")
    {
        var obj = Base();
        obj["model_type"] = model;
        obj["architectures"] = new JsonArray(model switch { "qwen2" => "Qwen2ForCausalLM", "qwen3" => "Qwen3ForCausalLM", "mistral" => "MistralForCausalLM", _ => "LlamaForCausalLM" });
        obj[key] = value;
        return Parse(obj);
    }

    public static IEnumerable<object[]> RoundTripConfigs() => TinyModels.Variants().Concat(TinyModels.ReferenceOnlyVariants());

    [Theory]
    [MemberData(nameof(RoundTripConfigs))]
    public void EveryVariantRoundTripsThroughConfigJson(string name, ModelConfig config)
    {
        var parsed = ModelConfig.FromJson(Encoding.UTF8.GetBytes(config.ToJson().ToJsonString()), name);
        Assert.Equal(config.ToJson().ToJsonString(), parsed.ToJson().ToJsonString());
        Assert.Equal(config.RopeScaling, parsed.RopeScaling);
        Assert.Equal(Enumerable.Range(0, config.NumHiddenLayers).Select(config.IsSlidingLayer), Enumerable.Range(0, parsed.NumHiddenLayers).Select(parsed.IsSlidingLayer));
        Assert.Equal(TensorLayout.ParameterCount(config), TensorLayout.ParameterCount(parsed));
    }

    [Fact]
    public void DefaultsFollowTransformers()
    {
        var plain = Parse(Base());
        Assert.Equal(8, plain.HeadDim);
        Assert.Equal("silu", plain.HiddenAct);
        Assert.Equal([1, 2], plain.EosTokenIds);
        // Mistral: an absent sliding_window is 4096 (MistralConfig's default); an explicit null is none.
        var obj = Base();
        obj["model_type"] = "mistral";
        Assert.Equal(4096, Parse(obj).SlidingWindow);
        Assert.Null(With("sliding_window", null, "mistral").SlidingWindow);
        // Qwen2: the window only counts with use_sliding_window, from max_window_layers on.
        Assert.False(With("sliding_window", 16, "qwen2").IsSlidingLayer(1));
        var qwen = Parse(JsonNode.Parse(Base().ToJsonString().Replace("\"llama\"", "\"qwen2\"").TrimEnd('}') + ",\"use_sliding_window\":true,\"sliding_window\":16,\"max_window_layers\":1}")!.AsObject());
        Assert.False(qwen.IsSlidingLayer(0));
        Assert.True(qwen.IsSlidingLayer(1));
        // Llama ignores sliding_window (LlamaConfig has no such key).
        Assert.False(With("sliding_window", 4).IsSlidingLayer(0));
        // Qwen3's head_dim defaults to 128, not hidden / heads.
        Assert.Equal(128, With("rope_theta", 1e6, "qwen3").HeadDim);
        // A negative pad_token_id (old conversions) means none.
        Assert.Null(With("pad_token_id", -1).PadTokenId);
        // yarn without original_max_position_embeddings uses max_position_embeddings.
        Assert.Equal(64, With("rope_scaling", JsonNode.Parse("""{"rope_type":"yarn","factor":2}""")).RopeScaling!.OriginalMaxPositionEmbeddings);
        // The older "type" spelling and transformers v5's rope_parameters (theta inside) are read.
        Assert.Equal("linear", With("rope_scaling", JsonNode.Parse("""{"type":"linear","factor":2}""")).RopeScaling!.RopeType);
        var v5 = With("rope_parameters", JsonNode.Parse("""{"rope_type":"llama3","rope_theta":500000.0,"factor":8,"low_freq_factor":1,"high_freq_factor":4,"original_max_position_embeddings":8192}"""));
        Assert.Equal(500000.0, v5.RopeTheta);
        Assert.Equal("llama3", v5.RopeScaling!.RopeType);
        // Integral numbers written with a fraction are integers.
        Assert.Equal(48, With("vocab_size", JsonValue.Create(48.0)).VocabSize);
    }

    public static IEnumerable<object?[]> Refused() =>
    [
        ["model_type", JsonValue.Create("gemma"), "gemma"],
        ["model_type", JsonValue.Create("llama4"), "llama4"],
        ["architectures", new JsonArray("LlamaForSequenceClassification"), "LlamaForSequenceClassification"],
        ["hidden_act", JsonValue.Create("mish"), "mish"],
        ["hidden_act", JsonValue.Create("gelu_10"), "gelu_10"],
        ["rope_scaling", JsonNode.Parse("""{"rope_type":"longrope","long_factor":[1],"short_factor":[1]}"""), "longrope"],
        ["rope_scaling", JsonNode.Parse("""{"type":"su","factor":2}"""), "su"],
        ["rope_scaling", JsonNode.Parse("""{"type":"mrope","mrope_section":[1,1]}"""), "mrope"],
        ["rope_scaling", JsonNode.Parse("""{"rope_type":"proportional","factor":2}"""), "proportional"],
        ["quantization_config", JsonNode.Parse("""{"quant_method":"gptq"}"""), "quantization_config"],
    ];

    [Theory]
    [MemberData(nameof(Refused))]
    public void UnimplementedSettingsAreRefusedByName(string key, JsonNode value, string named)
    {
        var error = Assert.Throws<NotSupportedException>(() => With(key, value));
        Assert.Contains(named, error.Message);
        Assert.Contains(Source, error.Message);
    }

    [Fact]
    public void UnknownLayerTypeIsRefused()
    {
        var obj = JsonNode.Parse(Base().ToJsonString().Replace("\"llama\"", "\"qwen2\""))!.AsObject();
        obj["use_sliding_window"] = true;
        obj["layer_types"] = new JsonArray("full_attention", "chunked_attention");
        var error = Assert.Throws<NotSupportedException>(() => Parse(obj));
        Assert.Contains("chunked_attention", error.Message);
    }

    public static IEnumerable<object?[]> Malformed() =>
    [
        ["vocab_size", JsonValue.Create("48"), "vocab_size"],
        ["vocab_size", null, "vocab_size"],
        ["vocab_size", JsonValue.Create(48.5), "vocab_size"],
        ["vocab_size", JsonValue.Create(1e10), "vocab_size"],
        ["vocab_size", JsonValue.Create(1_000_000_000), "vocab_size"],
        ["hidden_size", JsonValue.Create(131072), "hidden_size"],
        ["hidden_size", JsonValue.Create(-32), "hidden_size"],
        ["num_hidden_layers", JsonValue.Create(1_000_000), "num_hidden_layers"],
        ["num_hidden_layers", JsonValue.Create(0), "num_hidden_layers"],
        ["head_dim", JsonValue.Create(1_000_000_000), "head_dim"],
        ["head_dim", JsonValue.Create(7), "head_dim"],
        ["intermediate_size", new JsonArray(64), "intermediate_size"],
        ["max_position_embeddings", JsonValue.Create(1L << 40), "max_position_embeddings"],
        ["num_key_value_heads", JsonValue.Create(3), "num_key_value_heads"],
        ["rms_norm_eps", JsonValue.Create(0.0), "rms_norm_eps"],
        ["rms_norm_eps", JsonValue.Create("1e-5"), "rms_norm_eps"],
        ["rope_theta", JsonValue.Create(-1.0), "rope_theta"],
        ["partial_rotary_factor", JsonValue.Create(1.5), "partial_rotary_factor"],
        ["partial_rotary_factor", JsonValue.Create(0.1), "partial_rotary_factor"],
        ["tie_word_embeddings", JsonValue.Create(1), "tie_word_embeddings"],
        ["attention_bias", JsonValue.Create("true"), "attention_bias"],
        ["hidden_act", JsonValue.Create(3), "hidden_act"],
        ["eos_token_id", new JsonArray(1, null), "eos_token_id[1]"],
        ["eos_token_id", JsonValue.Create(48), "eos_token_id"],
        ["eos_token_id", JsonValue.Create("x"), "eos_token_id"],
        ["bos_token_id", JsonValue.Create(4000), "bos_token_id"],
        ["architectures", JsonValue.Create("LlamaForCausalLM"), "architectures"],
        ["architectures", new JsonArray(1), "architectures[0]"],
        ["rope_scaling", JsonValue.Create("linear"), "rope_scaling"],
        ["rope_scaling", JsonNode.Parse("""{"rope_type":"linear"}"""), "factor"],
        ["rope_scaling", JsonNode.Parse("""{"rope_type":"linear","factor":0}"""), "factor"],
        ["rope_scaling", JsonNode.Parse("""{"rope_type":"llama3","factor":8,"low_freq_factor":4,"high_freq_factor":4,"original_max_position_embeddings":8192}"""), "high_freq_factor"],
        ["rope_scaling", JsonNode.Parse("""{"rope_type":"llama3","factor":8,"low_freq_factor":1,"high_freq_factor":4}"""), "original_max_position_embeddings"],
        ["rope_scaling", JsonNode.Parse("""{"rope_type":"yarn","factor":2,"beta_fast":"32"}"""), "rope_scaling.beta_fast"],
        ["rope_scaling", JsonNode.Parse("""{"rope_type":"yarn","factor":2,"mscale":1,"mscale_all_dim":-20}"""), "yarn attention factor"],
        ["id2label", new JsonArray("a"), "id2label"],
        ["model_type", JsonValue.Create(1), "model_type"],
        ["model_type", null, "model_type"],
    ];

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedValuesAreInvalidDataNamingTheKey(string key, JsonNode? value, string named)
    {
        var error = Assert.Throws<InvalidDataException>(() => With(key, value));
        Assert.Contains(named, error.Message);
        Assert.Contains(Source, error.Message);
    }

    [Fact]
    public void HiddenSizeNotAMultipleOfHeadsWithoutHeadDimIsInvalid()
    {
        var error = Assert.Throws<InvalidDataException>(() => With("hidden_size", 30));
        Assert.Contains("head_dim", error.Message);
    }

    [Fact]
    public void SlidingLayerTypeWithoutAWindowIsInvalid()
    {
        var obj = JsonNode.Parse(Base().ToJsonString().Replace("\"llama\"", "\"qwen2\""))!.AsObject();
        obj["layer_types"] = new JsonArray("full_attention", "sliding_attention"); // use_sliding_window absent: no window
        Assert.Contains("layer_types[1]", Assert.Throws<InvalidDataException>(() => Parse(obj)).Message);
        obj["use_sliding_window"] = true;
        obj["layer_types"] = new JsonArray("full_attention");
        Assert.Contains("layer_types", Assert.Throws<InvalidDataException>(() => Parse(obj)).Message);
    }

    [Theory]
    [InlineData("""{"model_type":"llama","model_type":"llama"}""", "model_type")]
    [InlineData("""{"model_type":"llama","rope_scaling":{"factor":2,"factor":3}}""", "rope_scaling.factor")]
    public void DuplicateKeysAreInvalidData(string json, string named)
    {
        var error = Assert.Throws<InvalidDataException>(() => ModelConfig.FromJson(Encoding.UTF8.GetBytes(json), Source));
        Assert.Contains(named, error.Message);
        Assert.Contains("more than once", error.Message);
    }

    [Theory]
    [InlineData(new byte[] { 0x7B, 0x22, 0xC3, 0x28, 0x22, 0x3A, 0x31, 0x7D }, "UTF-8")] // {"\xC3(":1}
    [InlineData(new byte[] { 0x5B, 0x5D }, "object")]                                   // []
    [InlineData(new byte[] { 0x7B }, "JSON")]                                           // {
    [InlineData(new byte[] { 0x7B, 0x22, 0x61, 0x22, 0x3A, 0x4E, 0x61, 0x4E, 0x7D }, "JSON")] // {"a":NaN}
    [InlineData(new byte[] { 0x7B, 0x22, 0x6D, 0x6F, 0x64, 0x65, 0x6C, 0x5F, 0x74, 0x79, 0x70, 0x65, 0x22, 0x3A, 0x22, 0x5C, 0x75, 0x64, 0x38, 0x30, 0x30, 0x22, 0x7D }, "UTF-16")] // {"model_type":"\ud800"}
    [InlineData(new byte[] { 0x7B, 0x22, 0x5C, 0x75, 0x64, 0x38, 0x30, 0x30, 0x22, 0x3A, 0x31, 0x7D }, "UTF-16")] // {"\ud800":1}
    public void MalformedFilesAreInvalidData(byte[] bytes, string named)
    {
        var error = Assert.Throws<InvalidDataException>(() => ModelConfig.FromJson(bytes, Source));
        Assert.Contains(named, error.Message);
        Assert.Contains(Source, error.Message);
    }

    [Fact]
    public void LoadNamesTheFile()
    {
        using var dir = new TempDirectory();
        Assert.Throws<FileNotFoundException>(() => ModelConfig.Load(dir.Path));
        File.WriteAllBytes(dir.File("config.json"), [0x7B, 0x22, 0xFF, 0x22, 0x3A, 0x31, 0x7D]);
        var error = Assert.Throws<InvalidDataException>(() => ModelConfig.Load(dir.Path));
        Assert.Contains(dir.File("config.json"), error.Message);
        TinyModels.Llama().Save(dir.Path);
        Assert.Equal(TinyModels.Llama().ToJson().ToJsonString(), ModelConfig.Load(dir.Path).ToJson().ToJsonString());
    }

    /// <summary>
    /// Seeded mutations of valid configs (byte flips, inserted bytes, truncation, values swapped for other JSON
    /// types or extreme numbers): only <see cref="InvalidDataException"/> or <see cref="NotSupportedException"/>
    /// escape, and whatever parses has a layout that can be counted. 600 cases by default; 50,000 with TTS_LONG=1.
    /// </summary>
    [Fact]
    public void SeededMutationsOnlyRaiseDocumentedExceptions()
    {
        var random = new Random(20261201);
        var seeds = RoundTripConfigs().Select(v => Encoding.UTF8.GetBytes(((ModelConfig)v[1]).ToJson().ToJsonString())).ToArray();
        JsonNode?[] replacements = [null, JsonValue.Create(-1), JsonValue.Create(0), JsonValue.Create(int.MaxValue), JsonValue.Create(1e300),
            JsonValue.Create(0.5), JsonValue.Create("x"), JsonValue.Create(true), new JsonArray(), new JsonObject(), new JsonArray(null, 1)];
        int parsed = 0, refused = 0, cases = Environment.GetEnvironmentVariable("TTS_LONG") == "1" ? 50_000 : 600;
        for (int i = 0; i < cases; i++)
        {
            byte[] bytes = seeds[random.Next(seeds.Length)];
            if (i % 2 == 0)
            {
                bytes = (byte[])bytes.Clone();
                switch (random.Next(3))
                {
                    case 0: bytes[random.Next(bytes.Length)] = (byte)random.Next(256); break;
                    case 1: bytes = bytes[..random.Next(bytes.Length)]; break;
                    default: int at = random.Next(bytes.Length); bytes = [.. bytes[..at], (byte)"{}[],:\"0-e."[random.Next(11)], .. bytes[at..]]; break;
                }
            }
            else
            {
                var root = JsonNode.Parse(bytes)!.AsObject();
                // Half the time reach into a nested object (rope_scaling) when there is one.
                var obj = random.Next(2) == 0 && root["rope_scaling"] is JsonObject nested ? nested : root;
                var keys = obj.Select(p => p.Key).ToArray();
                string key = keys[random.Next(keys.Length)];
                if (random.Next(4) == 0) obj.Remove(key);
                else obj[key] = replacements[random.Next(replacements.Length)]?.DeepClone();
                bytes = Encoding.UTF8.GetBytes(root.ToJsonString());
            }
            try
            {
                var config = ModelConfig.FromJson(bytes, Source);
                Assert.True(TensorLayout.ParameterCount(config) > 0);
                parsed++;
            }
            catch (Exception ex) when (ex is InvalidDataException or NotSupportedException)
            {
                Assert.Contains(Source, ex.Message);
                refused++;
            }
        }
        Assert.True(parsed > cases / 20 && refused > cases / 2, $"parsed {parsed}, refused {refused}");
    }
}
