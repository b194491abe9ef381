using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Torch;

/// <summary>
/// The architecture of a Llama-family decoder, read from (and written to) a Hugging Face <c>config.json</c>.
/// Property names follow .NET conventions; <see cref="Load"/> and <see cref="ToJson"/> map them to the HF keys.
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The HF <c>model_type</c>: "llama", "qwen2" or "mistral".</summary>
    public string ModelType { get; init; } = "llama";

    /// <summary>The HF <c>architectures[0]</c>, for example "LlamaForCausalLM" or "LlamaForTokenClassification" (a reward model).</summary>
    public string Architecture { get; init; } = "LlamaForCausalLM";

    /// <summary><c>vocab_size</c>.</summary>
    public int VocabSize { get; init; }
    /// <summary><c>hidden_size</c>.</summary>
    public int HiddenSize { get; init; }
    /// <summary><c>intermediate_size</c> (SwiGLU width).</summary>
    public int IntermediateSize { get; init; }
    /// <summary><c>num_hidden_layers</c>.</summary>
    public int NumHiddenLayers { get; init; }
    /// <summary><c>num_attention_heads</c>.</summary>
    public int NumAttentionHeads { get; init; }
    /// <summary><c>num_key_value_heads</c> (grouped-query attention); defaults to the head count.</summary>
    public int NumKeyValueHeads { get; init; }
    /// <summary><c>head_dim</c>; defaults to hidden_size / num_attention_heads.</summary>
    public int HeadDim { get; init; }
    /// <summary><c>max_position_embeddings</c>: the context length.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary><c>rms_norm_eps</c>.</summary>
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary><c>rope_theta</c>.</summary>
    public double RopeTheta { get; init; } = 10000.0;
    /// <summary><c>rope_scaling</c>, when present.</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary><c>tie_word_embeddings</c>: the LM head reuses the embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary><c>attention_bias</c> (Llama) or implied by Qwen2: q/k/v projections have biases.</summary>
    public bool AttentionBias { get; init; }
    /// <summary><c>torch_dtype</c> as stored, for example "float32" or "bfloat16".</summary>
    public string TorchDtype { get; init; } = "float32";
    /// <summary><c>bos_token_id</c>.</summary>
    public int? BosTokenId { get; init; }
    /// <summary><c>eos_token_id</c> (HF allows a list).</summary>
    public IReadOnlyList<int> EosTokenIds { get; init; } = [];
    /// <summary><c>pad_token_id</c>.</summary>
    public int? PadTokenId { get; init; }
    /// <summary><c>num_labels</c> for a token-classification head (a process reward model); 0 for a causal LM.</summary>
    public int NumLabels { get; init; }

    /// <summary>Whether this is a reward/classification model (a <c>score</c> head instead of <c>lm_head</c>).</summary>
    public bool IsTokenClassifier => Architecture.EndsWith("ForTokenClassification", StringComparison.Ordinal)
        || Architecture.EndsWith("ForProcessRewardModel", StringComparison.Ordinal);

    /// <summary>Model types this library can run.</summary>
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "qwen2", "mistral"];

    /// <summary>Reads <c>config.json</c> from a model directory (or the file itself).</summary>
    /// <exception cref="FileNotFoundException">No config.json at that path.</exception>
    /// <exception cref="InvalidDataException">The file is not valid JSON, lacks a required key, or names an unsupported model type.</exception>
    public static ModelConfig Load(string path)
    {
        string file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        if (!File.Exists(file)) throw new FileNotFoundException($"Model config not found: '{file}'.", file);
        JsonNode? root;
        try { root = JsonNode.Parse(File.ReadAllText(file)); }
        catch (JsonException ex) { throw new InvalidDataException($"'{file}' is not valid JSON: {ex.Message}", ex); }
        if (root is not JsonObject obj) throw new InvalidDataException($"'{file}' must hold a JSON object.");
        return FromJson(obj, file);
    }

    /// <summary>Builds a config from a parsed <c>config.json</c>; <paramref name="source"/> names it in errors.</summary>
    public static ModelConfig FromJson(JsonObject obj, string source = "config.json")
    {
        string modelType = obj["model_type"]?.GetValue<string>()
            ?? throw new InvalidDataException($"'{source}' has no \"model_type\".");
        if (!SupportedModelTypes.Contains(modelType))
            throw new NotSupportedException($"'{source}': model_type \"{modelType}\" is not supported; supported: {string.Join(", ", SupportedModelTypes)}.");

        int Req(string key) => obj[key] is JsonValue v && v.TryGetValue(out int i) ? i
            : throw new InvalidDataException($"'{source}' lacks the integer \"{key}\".");
        int? Opt(string key) => obj[key] is JsonValue v && v.TryGetValue(out int i) ? i : null;
        double? OptD(string key) => obj[key] is JsonValue v && v.TryGetValue(out double d) ? d : null;

        int hidden = Req("hidden_size"), heads = Req("num_attention_heads");
        var eos = obj["eos_token_id"] switch
        {
            JsonArray a => a.Select(x => x!.GetValue<int>()).ToArray(),
            JsonValue v when v.TryGetValue(out int id) => [id],
            _ => Array.Empty<int>(),
        };
        string arch = obj["architectures"] is JsonArray archs && archs.Count > 0 ? archs[0]!.GetValue<string>()
            : modelType switch { "qwen2" => "Qwen2ForCausalLM", "mistral" => "MistralForCausalLM", _ => "LlamaForCausalLM" };
        var config = new ModelConfig
        {
            ModelType = modelType,
            Architecture = arch,
            VocabSize = Req("vocab_size"),
            HiddenSize = hidden,
            IntermediateSize = Req("intermediate_size"),
            NumHiddenLayers = Req("num_hidden_layers"),
            NumAttentionHeads = heads,
            NumKeyValueHeads = Opt("num_key_value_heads") ?? heads,
            HeadDim = Opt("head_dim") ?? (heads > 0 ? hidden / heads : 0),
            MaxPositionEmbeddings = Opt("max_position_embeddings") ?? 2048,
            RmsNormEps = OptD("rms_norm_eps") ?? 1e-6,
            RopeTheta = OptD("rope_theta") ?? 10000.0,
            RopeScaling = obj["rope_scaling"] is JsonObject rs ? RopeScaling.FromJson(rs, source) : null,
            TieWordEmbeddings = obj["tie_word_embeddings"] is JsonValue t && t.TryGetValue(out bool tie) && tie,
            // Qwen2 always has q/k/v biases; Llama and Mistral say so with attention_bias.
            AttentionBias = modelType == "qwen2" || (obj["attention_bias"] is JsonValue b && b.TryGetValue(out bool bias) && bias),
            TorchDtype = obj["torch_dtype"]?.GetValue<string>() ?? obj["dtype"]?.GetValue<string>() ?? "float32",
            BosTokenId = Opt("bos_token_id"),
            EosTokenIds = eos,
            PadTokenId = Opt("pad_token_id"),
            NumLabels = Opt("num_labels") ?? (obj["id2label"] is JsonObject labels ? labels.Count : 0),
        };
        config.Validate(source);
        return config;
    }

    /// <summary>Checks that the sizes are consistent; throws <see cref="InvalidDataException"/> naming the key.</summary>
    public void Validate(string source = "config")
    {
        void Positive(int value, string key)
        {
            if (value <= 0) throw new InvalidDataException($"'{source}': \"{key}\" must be positive, got {value}.");
        }
        Positive(VocabSize, "vocab_size");
        Positive(HiddenSize, "hidden_size");
        Positive(IntermediateSize, "intermediate_size");
        Positive(NumHiddenLayers, "num_hidden_layers");
        Positive(NumAttentionHeads, "num_attention_heads");
        Positive(NumKeyValueHeads, "num_key_value_heads");
        Positive(HeadDim, "head_dim");
        Positive(MaxPositionEmbeddings, "max_position_embeddings");
        if (NumAttentionHeads % NumKeyValueHeads != 0)
            throw new InvalidDataException($"'{source}': num_attention_heads ({NumAttentionHeads}) must be a multiple of num_key_value_heads ({NumKeyValueHeads}).");
        if (HeadDim % 2 != 0)
            throw new InvalidDataException($"'{source}': head_dim ({HeadDim}) must be even for rotary embeddings.");
        if (IsTokenClassifier && NumLabels <= 0)
            throw new InvalidDataException($"'{source}': a {Architecture} needs \"num_labels\" > 0.");
    }

    /// <summary>The config as a Hugging Face <c>config.json</c> object.</summary>
    public JsonObject ToJson()
    {
        var obj = new JsonObject
        {
            ["architectures"] = new JsonArray(Architecture),
            ["model_type"] = ModelType,
            ["vocab_size"] = VocabSize,
            ["hidden_size"] = HiddenSize,
            ["intermediate_size"] = IntermediateSize,
            ["num_hidden_layers"] = NumHiddenLayers,
            ["num_attention_heads"] = NumAttentionHeads,
            ["num_key_value_heads"] = NumKeyValueHeads,
            ["head_dim"] = HeadDim,
            ["max_position_embeddings"] = MaxPositionEmbeddings,
            ["rms_norm_eps"] = RmsNormEps,
            ["rope_theta"] = RopeTheta,
            ["tie_word_embeddings"] = TieWordEmbeddings,
            ["attention_bias"] = AttentionBias,
            ["hidden_act"] = "silu",
            ["torch_dtype"] = TorchDtype,
        };
        if (RopeScaling is not null) obj["rope_scaling"] = RopeScaling.ToJson();
        if (BosTokenId is { } bos) obj["bos_token_id"] = bos;
        if (EosTokenIds.Count == 1) obj["eos_token_id"] = EosTokenIds[0];
        else if (EosTokenIds.Count > 1) obj["eos_token_id"] = new JsonArray(EosTokenIds.Select(e => (JsonNode)e).ToArray());
        if (PadTokenId is { } pad) obj["pad_token_id"] = pad;
        if (NumLabels > 0) obj["num_labels"] = NumLabels;
        return obj;
    }

    /// <summary>Writes <c>config.json</c> into a directory.</summary>
    public void Save(string directory)
    {
        Directory.CreateDirectory(directory);
        File.WriteAllText(Path.Combine(directory, "config.json"), ToJson().ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
    }
}

/// <summary>The HF <c>rope_scaling</c> block. Only <c>rope_type</c> "llama3" changes the frequencies here.</summary>
public sealed record RopeScaling
{
    /// <summary><c>rope_type</c> (or the older <c>type</c>): "llama3" or "default".</summary>
    public string RopeType { get; init; } = "default";
    /// <summary><c>factor</c>.</summary>
    public double Factor { get; init; } = 1.0;
    /// <summary><c>low_freq_factor</c>.</summary>
    public double LowFreqFactor { get; init; } = 1.0;
    /// <summary><c>high_freq_factor</c>.</summary>
    public double HighFreqFactor { get; init; } = 4.0;
    /// <summary><c>original_max_position_embeddings</c>.</summary>
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;

    internal static RopeScaling FromJson(JsonObject obj, string source)
    {
        string type = obj["rope_type"]?.GetValue<string>() ?? obj["type"]?.GetValue<string>() ?? "default";
        if (type is not ("llama3" or "default"))
            throw new NotSupportedException($"'{source}': rope_scaling type \"{type}\" is not supported (supported: llama3, default).");
        double D(string key, double fallback) => obj[key] is JsonValue v && v.TryGetValue(out double d) ? d : fallback;
        return new RopeScaling
        {
            RopeType = type,
            Factor = D("factor", 1.0),
            LowFreqFactor = D("low_freq_factor", 1.0),
            HighFreqFactor = D("high_freq_factor", 4.0),
            OriginalMaxPositionEmbeddings = (int)D("original_max_position_embeddings", 8192),
        };
    }

    internal JsonObject ToJson() => new()
    {
        ["rope_type"] = RopeType,
        ["factor"] = Factor,
        ["low_freq_factor"] = LowFreqFactor,
        ["high_freq_factor"] = HighFreqFactor,
        ["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings,
    };
}
