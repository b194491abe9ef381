using System.Text;
using System.Text.Json;

namespace TestTimeScaling.Torch;

/// <summary>
/// Strict, typed reading of a Hugging Face <c>config.json</c>: invalid UTF-8, malformed JSON, duplicate keys,
/// values of the wrong JSON type, non-integral or out-of-range integers and non-finite numbers are all
/// <see cref="InvalidDataException"/>s naming the file and the key; settings this library does not implement are
/// <see cref="NotSupportedException"/>s naming the key and value. Nothing else escapes.
/// </summary>
internal sealed class ConfigJson
{
    /// <summary>Largest config.json read (real ones are a few kB; 1000 layer types fit easily).</summary>
    public const long MaxFileBytes = 4 * 1024 * 1024;

    private readonly string _source;

    private ConfigJson(string source) => _source = source;

    public static ModelConfig Parse(byte[] utf8, string source)
    {
        var reader = new ConfigJson(source);
        ReadOnlySpan<byte> span = utf8;
        if (span.StartsWith(Encoding.UTF8.Preamble)) span = span[3..];
        if (span.Length > MaxFileBytes)
            throw new InvalidDataException($"'{source}' is {span.Length} bytes; a config.json is at most {MaxFileBytes}.");
        if (!System.Text.Unicode.Utf8.IsValid(span))
            throw new InvalidDataException($"'{source}' is not valid UTF-8.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(span.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{source}' is not valid JSON: {ex.Message}", ex);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw new InvalidDataException($"'{source}' must hold a JSON object.");
            ModelConfig config;
            try
            {
                reader.RejectDuplicates(root, "");
                config = reader.Build(root);
            }
            catch (InvalidOperationException ex)
            {
                // System.Text.Json refuses to decode a string holding an escaped lone surrogate ("\ud800").
                throw new InvalidDataException($"'{source}' holds a string that is not valid UTF-16: {ex.Message}", ex);
            }
            config.Validate(source);
            return config;
        }
    }

    private void RejectDuplicates(JsonElement element, string path)
    {
        if (element.ValueKind == JsonValueKind.Object)
        {
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in element.EnumerateObject())
            {
                string name = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
                if (!seen.Add(property.Name)) throw new InvalidDataException($"'{_source}' has the key \"{name}\" more than once.");
                RejectDuplicates(property.Value, name);
            }
        }
        else if (element.ValueKind == JsonValueKind.Array)
        {
            int i = 0;
            foreach (var item in element.EnumerateArray()) RejectDuplicates(item, $"{path}[{i++}]");
        }
    }

    private ModelConfig Build(JsonElement root)
    {
        var o = new JsonFields(root, _source, "");
        string modelType = o.String("model_type") ?? throw new InvalidDataException($"'{_source}' has no \"model_type\".");
        if (!ModelConfig.SupportedModelTypes.Contains(modelType))
            throw new NotSupportedException($"'{_source}': model_type \"{modelType}\" is not supported; supported: {string.Join(", ", ModelConfig.SupportedModelTypes)}.");
        if (root.TryGetProperty("quantization_config", out var quant) && quant.ValueKind != JsonValueKind.Null)
            throw new NotSupportedException($"'{_source}': \"quantization_config\" is set; quantized checkpoints are not supported.");

        int hidden = o.RequiredInt("hidden_size"), heads = o.RequiredInt("num_attention_heads");
        int headDim = o.Int("head_dim") ?? DefaultHeadDim(modelType, hidden, heads);

        string arch = o.StringList("architectures") is { Count: > 0 } archs ? archs[0] : modelType switch
        {
            "qwen2" => "Qwen2ForCausalLM",
            "qwen3" => "Qwen3ForCausalLM",
            "mistral" => "MistralForCausalLM",
            _ => "LlamaForCausalLM",
        };

        // transformers v5 writes rope_parameters (with rope_theta inside) instead of rope_theta + rope_scaling.
        double ropeTheta = o.Double("rope_theta") ?? 10000.0;
        int maxPositions = o.Int("max_position_embeddings") ?? 2048;
        RopeScaling? rope = null;
        if (o.Object("rope_scaling") is { } scaling) rope = ReadRope(scaling, "rope_scaling", maxPositions, ref ropeTheta);
        else if (o.Object("rope_parameters") is { } parameters) rope = ReadRope(parameters, "rope_parameters", maxPositions, ref ropeTheta);

        int? sliding = root.TryGetProperty("sliding_window", out _) ? o.Int("sliding_window")
            : modelType is "mistral" or "qwen2" or "qwen3" ? 4096 : null; // transformers' default when the key is absent

        int? pad = o.Int("pad_token_id");
        if (pad < 0) pad = null; // some old Llama conversions write -1 for "no padding token"

        return new ModelConfig
        {
            ModelType = modelType,
            Architecture = arch,
            VocabSize = o.RequiredInt("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = o.RequiredInt("intermediate_size"),
            NumHiddenLayers = o.RequiredInt("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = o.Int("num_key_value_heads") ?? heads,
            HeadDim = headDim,
            MaxPositionEmbeddings = maxPositions,
            RmsNormEps = o.Double("rms_norm_eps") ?? 1e-6,
            RopeTheta = ropeTheta,
            RopeScaling = rope,
            PartialRotaryFactor = o.Double("partial_rotary_factor") ?? 1.0,
            TieWordEmbeddings = o.Bool("tie_word_embeddings") ?? false,
            AttentionBias = o.Bool("attention_bias") ?? false,
            MlpBias = o.Bool("mlp_bias") ?? false,
            HiddenAct = o.String("hidden_act") ?? "silu",
            SlidingWindow = sliding,
            UseSlidingWindow = o.Bool("use_sliding_window") ?? false,
            MaxWindowLayers = o.Int("max_window_layers") ?? 28,
            LayerTypes = modelType is "qwen2" or "qwen3" ? o.StringList("layer_types") : null,
            TorchDtype = o.String("torch_dtype") ?? o.String("dtype") ?? "float32",
            BosTokenId = o.Int("bos_token_id"),
            EosTokenIds = o.IntOrIntList("eos_token_id"),
            PadTokenId = pad,
            NumLabels = o.Int("num_labels") ?? o.ObjectCount("id2label") ?? 0,
        };
    }

    private int DefaultHeadDim(string modelType, int hidden, int heads)
    {
        if (modelType == "qwen3") return 128; // Qwen3Config's own default
        if (heads <= 0) return 0;             // Validate names num_attention_heads
        if (hidden % heads != 0)
            throw new InvalidDataException($"'{_source}': hidden_size ({hidden}) is not a multiple of num_attention_heads ({heads}) and there is no \"head_dim\".");
        return hidden / heads;
    }

    private RopeScaling ReadRope(JsonElement element, string key, int maxPositions, ref double ropeTheta)
    {
        var r = new JsonFields(element, _source, key);
        string type = r.String("rope_type") ?? r.String("type") ?? "default";
        if (!RopeScaling.SupportedTypes.Contains(type))
            throw new NotSupportedException($"'{_source}': {key}.rope_type \"{type}\" is not supported (supported: {string.Join(", ", RopeScaling.SupportedTypes)}).");
        if (r.Double("rope_theta") is { } theta) ropeTheta = theta;
        double Required(string name) => r.Double(name) ?? throw new InvalidDataException($"'{_source}': {key} of type \"{type}\" needs \"{name}\".");
        return type switch
        {
            "default" => new RopeScaling { RopeType = type },
            "linear" or "dynamic" => new RopeScaling { RopeType = type, Factor = Required("factor") },
            "llama3" => new RopeScaling
            {
                RopeType = type,
                Factor = Required("factor"),
                LowFreqFactor = Required("low_freq_factor"),
                HighFreqFactor = Required("high_freq_factor"),
                OriginalMaxPositionEmbeddings = r.Int("original_max_position_embeddings")
                    ?? throw new InvalidDataException($"'{_source}': {key} of type \"llama3\" needs \"original_max_position_embeddings\"."),
            },
            _ => new RopeScaling // yarn
            {
                RopeType = type,
                Factor = Required("factor"),
                OriginalMaxPositionEmbeddings = r.Int("original_max_position_embeddings") ?? maxPositions,
                AttentionFactor = r.Double("attention_factor"),
                BetaFast = r.Double("beta_fast"),
                BetaSlow = r.Double("beta_slow"),
                Mscale = r.Double("mscale"),
                MscaleAllDim = r.Double("mscale_all_dim"),
                Truncate = r.Bool("truncate") ?? true,
            },
        };
    }
}
