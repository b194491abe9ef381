using System.Text.Json.Nodes;

namespace TestTimeScaling.Torch;

/// <summary>
/// The HF <c>rope_scaling</c> block. <see cref="RopeType"/> is one of <see cref="SupportedTypes"/>, each computed as
/// transformers' <c>modeling_rope_utils</c> does; any other type is refused when the config is read.
/// </summary>
public sealed record RopeScaling
{
    /// <summary>Rope types implemented here.</summary>
    public static IReadOnlyList<string> SupportedTypes { get; } = ["default", "linear", "dynamic", "yarn", "llama3"];

    /// <summary><c>rope_type</c> (or the older <c>type</c>).</summary>
    public string RopeType { get; init; } = "default";
    /// <summary><c>factor</c>: the context extension factor (linear, dynamic, yarn, llama3).</summary>
    public double Factor { get; init; } = 1.0;
    /// <summary><c>low_freq_factor</c> (llama3).</summary>
    public double LowFreqFactor { get; init; } = 1.0;
    /// <summary><c>high_freq_factor</c> (llama3).</summary>
    public double HighFreqFactor { get; init; } = 4.0;
    /// <summary>
    /// <c>original_max_position_embeddings</c>: the pre-training context (llama3: required in config.json; yarn: when the
    /// key is absent the reader stores <c>max_position_embeddings</c>, and 0 means the same, as transformers' <c>or</c> does).
    /// </summary>
    public int OriginalMaxPositionEmbeddings { get; init; } = 8192;
    /// <summary><c>attention_factor</c> (yarn): scales cos and sin; when null it is derived from the factor and mscale.</summary>
    public double? AttentionFactor { get; init; }
    /// <summary><c>beta_fast</c> (yarn; 32 when null).</summary>
    public double? BetaFast { get; init; }
    /// <summary><c>beta_slow</c> (yarn; 1 when null).</summary>
    public double? BetaSlow { get; init; }
    /// <summary><c>mscale</c> (yarn, DeepSeek style).</summary>
    public double? Mscale { get; init; }
    /// <summary><c>mscale_all_dim</c> (yarn, DeepSeek style).</summary>
    public double? MscaleAllDim { get; init; }
    /// <summary><c>truncate</c> (yarn): round the correction range to whole dimensions (default true).</summary>
    public bool Truncate { get; init; } = true;

    internal JsonObject ToJson()
    {
        var obj = new JsonObject { ["rope_type"] = RopeType };
        if (RopeType == "default") return obj;
        obj["factor"] = Factor;
        switch (RopeType)
        {
            case "llama3":
                obj["low_freq_factor"] = LowFreqFactor;
                obj["high_freq_factor"] = HighFreqFactor;
                obj["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings;
                break;
            case "yarn":
                obj["original_max_position_embeddings"] = OriginalMaxPositionEmbeddings;
                if (AttentionFactor is { } attention) obj["attention_factor"] = attention;
                if (BetaFast is { } fast) obj["beta_fast"] = fast;
                if (BetaSlow is { } slow) obj["beta_slow"] = slow;
                if (Mscale is { } mscale) obj["mscale"] = mscale;
                if (MscaleAllDim is { } all) obj["mscale_all_dim"] = all;
                if (!Truncate) obj["truncate"] = false;
                break;
        }
        return obj;
    }
}
