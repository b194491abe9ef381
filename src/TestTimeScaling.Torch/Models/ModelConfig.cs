using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Torch;

/// <summary>
/// The architecture of a Llama-family decoder, read from (and written to) a Hugging Face <c>config.json</c>.
/// Property names follow .NET conventions; <see cref="Load"/> and <see cref="ToJson"/> map them to the HF keys.
/// Every key that changes the computation is either implemented as transformers does it or refused
/// (see docs/model-support.md).
/// </summary>
public sealed record ModelConfig
{
    /// <summary>The HF <c>model_type</c>: "llama", "qwen2", "qwen3" or "mistral".</summary>
    public string ModelType { get; init; } = "llama";

    /// <summary>The HF <c>architectures[0]</c>, for example "LlamaForCausalLM" or "LlamaForTokenClassification" (a reward model).</summary>
    public string Architecture { get; init; } = "LlamaForCausalLM";

    /// <summary><c>vocab_size</c>.</summary>
    public int VocabSize { get; init; }
    /// <summary><c>hidden_size</c>.</summary>
    public int HiddenSize { get; init; }
    /// <summary><c>intermediate_size</c> (gated feed-forward width).</summary>
    public int IntermediateSize { get; init; }
    /// <summary><c>num_hidden_layers</c>.</summary>
    public int NumHiddenLayers { get; init; }
    /// <summary><c>num_attention_heads</c>.</summary>
    public int NumAttentionHeads { get; init; }
    /// <summary><c>num_key_value_heads</c> (grouped-query attention); defaults to the head count.</summary>
    public int NumKeyValueHeads { get; init; }
    /// <summary><c>head_dim</c>; in config.json defaults to hidden_size / num_attention_heads (128 for qwen3, as transformers does).</summary>
    public int HeadDim { get; init; }
    /// <summary><c>max_position_embeddings</c>: the context length.</summary>
    public int MaxPositionEmbeddings { get; init; } = 2048;
    /// <summary><c>rms_norm_eps</c>.</summary>
    public double RmsNormEps { get; init; } = 1e-6;
    /// <summary><c>rope_theta</c>.</summary>
    public double RopeTheta { get; init; } = 10000.0;
    /// <summary><c>rope_scaling</c>, when present.</summary>
    public RopeScaling? RopeScaling { get; init; }
    /// <summary><c>partial_rotary_factor</c>: the share of each head's leading dimensions that is rotated (1 = all).</summary>
    public double PartialRotaryFactor { get; init; } = 1.0;
    /// <summary><c>tie_word_embeddings</c>: the LM head reuses the embedding matrix.</summary>
    public bool TieWordEmbeddings { get; init; }
    /// <summary>
    /// <c>attention_bias</c>. On llama and qwen3 it gives q, k, v <b>and</b> o projections biases; qwen2 always has
    /// q/k/v biases (and no o bias) whatever this says; mistral has none (transformers ignores the key there).
    /// </summary>
    public bool AttentionBias { get; init; }
    /// <summary><c>mlp_bias</c> (llama only): gate, up and down projections have biases.</summary>
    public bool MlpBias { get; init; }
    /// <summary><c>hidden_act</c>: the feed-forward activation (see <see cref="Activations.Supported"/>).</summary>
    public string HiddenAct { get; init; } = "silu";
    /// <summary>
    /// <c>sliding_window</c>: keys further back than this many positions are masked (a key is seen when
    /// query position - key position &lt; window). Mistral applies it to every layer; qwen2/qwen3 only with
    /// <see cref="UseSlidingWindow"/>, on the layers <see cref="IsSlidingLayer"/> names. Null: no window.
    /// </summary>
    public int? SlidingWindow { get; init; }
    /// <summary><c>use_sliding_window</c> (qwen2, qwen3).</summary>
    public bool UseSlidingWindow { get; init; }
    /// <summary><c>max_window_layers</c> (qwen2, qwen3): layers below this index use full attention.</summary>
    public int MaxWindowLayers { get; init; } = 28;
    /// <summary><c>layer_types</c> (qwen2, qwen3): "full_attention" or "sliding_attention" per layer; overrides <see cref="MaxWindowLayers"/>.</summary>
    public IReadOnlyList<string>? LayerTypes { get; init; }
    /// <summary><c>torch_dtype</c> (or <c>dtype</c>) as stored, for example "float32" or "bfloat16".</summary>
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
    public static IReadOnlyList<string> SupportedModelTypes { get; } = ["llama", "qwen2", "qwen3", "mistral"];

    /// <summary>Architecture suffixes (heads) this library can run.</summary>
    public static IReadOnlyList<string> SupportedHeads { get; } = ["ForCausalLM", "ForTokenClassification", "ForProcessRewardModel"];

    /// <summary>q, k and v projections carry biases.</summary>
    internal bool HasQkvBias => ModelType switch
    {
        "qwen2" => true,
        "llama" or "qwen3" => AttentionBias,
        _ => false,
    };

    /// <summary>The o projection carries a bias (Llama/Qwen3 attention_bias semantics).</summary>
    internal bool HasOutputBias => ModelType is "llama" or "qwen3" && AttentionBias;

    /// <summary>The feed-forward projections carry biases (Llama's mlp_bias).</summary>
    internal bool HasMlpBias => ModelType == "llama" && MlpBias;

    /// <summary>Per-head RMSNorm of queries and keys before the rotation (Qwen3).</summary>
    internal bool HasQkNorm => ModelType == "qwen3";

    /// <summary>Leading dimensions of each head that are rotated: int(head_dim * partial_rotary_factor), as transformers computes it.</summary>
    internal int RotaryDim => (int)Math.Truncate(HeadDim * PartialRotaryFactor);

    /// <summary>The window a sliding layer uses, or null when no layer slides.</summary>
    internal int? EffectiveSlidingWindow => ModelType switch
    {
        "mistral" => SlidingWindow,
        "qwen2" or "qwen3" => UseSlidingWindow ? SlidingWindow : null,
        _ => null,
    };

    /// <summary>Whether layer <paramref name="layer"/> attends through the sliding window (transformers' layer_types rule).</summary>
    public bool IsSlidingLayer(int layer)
    {
        if (ModelType == "mistral") return SlidingWindow is not null;
        if (ModelType is not ("qwen2" or "qwen3")) return false;
        if (LayerTypes is { } types) return layer < types.Count && types[layer] == "sliding_attention";
        return EffectiveSlidingWindow is not null && layer >= MaxWindowLayers;
    }

    /// <summary>Whether any layer slides.</summary>
    internal bool HasSlidingLayers => Enumerable.Range(0, NumHiddenLayers).Any(IsSlidingLayer);

    /// <summary>Reads <c>config.json</c> from a model directory (or the file itself).</summary>
    /// <exception cref="FileNotFoundException">No config.json at that path.</exception>
    /// <exception cref="InvalidDataException">The file is not valid UTF-8 JSON, has a duplicate key, a key of the wrong type, a missing key, or sizes out of bounds or inconsistent; the message names the file and key.</exception>
    /// <exception cref="NotSupportedException">A model type, head, activation, rope type or other setting this library does not implement; the message names the key and value.</exception>
    public static ModelConfig Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        string file = Directory.Exists(path) ? Path.Combine(path, "config.json") : path;
        if (!File.Exists(file)) throw new FileNotFoundException($"Model config not found: '{file}'.", file);
        var info = new FileInfo(file);
        if (info.Length > ConfigJson.MaxFileBytes)
            throw new InvalidDataException($"'{file}' is {info.Length} bytes; a config.json is at most {ConfigJson.MaxFileBytes}.");
        byte[] bytes;
        try { bytes = File.ReadAllBytes(file); }
        catch (IOException ex) { throw new InvalidDataException($"'{file}' could not be read: {ex.Message}", ex); }
        return ConfigJson.Parse(bytes, file);
    }

    /// <summary>Builds a config from the UTF-8 bytes of a <c>config.json</c>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">See <see cref="Load"/>.</exception>
    /// <exception cref="NotSupportedException">See <see cref="Load"/>.</exception>
    public static ModelConfig FromJson(ReadOnlySpan<byte> utf8Json, string source = "config.json") => ConfigJson.Parse(utf8Json.ToArray(), source);

    /// <summary>Builds a config from a parsed <c>config.json</c>; <paramref name="source"/> names it in errors.</summary>
    /// <exception cref="InvalidDataException">See <see cref="Load"/>.</exception>
    /// <exception cref="NotSupportedException">See <see cref="Load"/>.</exception>
    public static ModelConfig FromJson(JsonObject obj, string source = "config.json")
    {
        ArgumentNullException.ThrowIfNull(obj);
        byte[] utf8;
        try { utf8 = JsonSerializer.SerializeToUtf8Bytes(obj); }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            // A node the writer refuses (a NaN number, a lone surrogate in a string).
            throw new InvalidDataException($"'{source}' cannot be written as JSON: {ex.Message}", ex);
        }
        return ConfigJson.Parse(utf8, source);
    }

    /// <summary>
    /// Checks sizes against <see cref="ConfigLimits"/> and against each other, and that every setting is one
    /// this library implements.
    /// </summary>
    /// <exception cref="InvalidDataException">A size is out of bounds or inconsistent; the message names the key.</exception>
    /// <exception cref="NotSupportedException">A setting is not implemented; the message names the key and value.</exception>
    public void Validate(string source = "config") => ConfigValidation.Validate(this, source);

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
            ["mlp_bias"] = MlpBias,
            ["hidden_act"] = HiddenAct,
            ["torch_dtype"] = TorchDtype,
        };
        if (PartialRotaryFactor != 1.0) obj["partial_rotary_factor"] = PartialRotaryFactor;
        if (RopeScaling is not null) obj["rope_scaling"] = RopeScaling.ToJson();
        if (ModelType is "mistral" or "qwen2" or "qwen3")
            obj["sliding_window"] = SlidingWindow is { } w ? (JsonNode)w : null; // explicit null: Mistral's default is 4096
        if (ModelType is "qwen2" or "qwen3")
        {
            obj["use_sliding_window"] = UseSlidingWindow;
            obj["max_window_layers"] = MaxWindowLayers;
            if (LayerTypes is not null) obj["layer_types"] = new JsonArray(LayerTypes.Select(t => (JsonNode)t).ToArray());
        }
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
