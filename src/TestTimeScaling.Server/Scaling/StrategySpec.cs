using System.Text.Json;

namespace TestTimeScaling.Server;

/// <summary>
/// The strategy a request asks for: from its <c>test_time_scaling</c> field, or from a model-name suffix such
/// as <c>arithmetic-policy+self-consistency-16</c>.
/// </summary>
internal sealed record StrategySpec
{
    /// <summary>The strategy names the server accepts.</summary>
    public static readonly IReadOnlyList<string> Names =
        ["self-consistency", "adaptive-self-consistency", "best-of-n", "weighted-best-of-n", "first-finish", "beam-search", "dvts", "particle-filtering"];

    public required string Strategy { get; init; }

    /// <summary>The strategy's size: samples, beam width, subtrees or particles.</summary>
    public int N { get; init; } = 4;

    /// <summary>Expansions per beam (beam search) or subtree width (DVTS).</summary>
    public int Expansions { get; init; } = 4;

    /// <summary>Most steps of a step-level search.</summary>
    public int MaxDepth { get; init; } = 40;

    /// <summary>A budget override; null keeps the budget the strategy's size implies.</summary>
    public int? MaxSamples { get; init; }

    /// <summary>A token budget; null for none.</summary>
    public long? MaxTokens { get; init; }

    /// <summary>The reward model to verify with; null for the server's default.</summary>
    public string? Verifier { get; init; }

    /// <summary>How step scores combine into one.</summary>
    public StepAggregation? Aggregation { get; init; }

    /// <summary>The marker of the final answer line (default <c>A:</c>, the embedded task's).</summary>
    public string? AnswerMarker { get; init; }

    /// <summary>Sample rows one call of the strategy asks the sampler for (for the rows-in-flight limit).</summary>
    public int Rows => Strategy switch
    {
        "beam-search" or "dvts" => N * Expansions,
        _ => N,
    };

    /// <summary>Whether the strategy needs a verifier.</summary>
    public bool NeedsVerifier => Strategy is "best-of-n" or "weighted-best-of-n" or "beam-search" or "dvts" or "particle-filtering";

    /// <summary>Reads the <c>test_time_scaling</c> object.</summary>
    public static StrategySpec Parse(JsonElement obj, int maxN)
    {
        const string p = "test_time_scaling";
        if (obj.ValueKind != JsonValueKind.Object) throw ApiError.Invalid(p, $"'{p}' must be an object.");
        string name = JsonFields.RequiredString(obj, "strategy", p + ".strategy");
        if (!Names.Contains(name))
            throw ApiError.Invalid(p + ".strategy", $"Unknown strategy '{name}'; use one of: {string.Join(", ", Names)}.");
        var spec = new StrategySpec { Strategy = name };
        spec = spec with
        {
            N = JsonFields.OptionalInt(obj, "n", p + ".n", 1, maxN) ?? spec.N,
            Expansions = JsonFields.OptionalInt(obj, "expansions", p + ".expansions", 1, maxN) ?? spec.Expansions,
            MaxDepth = JsonFields.OptionalInt(obj, "max_depth", p + ".max_depth", 1, 1000) ?? spec.MaxDepth,
            MaxSamples = JsonFields.OptionalInt(obj, "max_samples", p + ".max_samples", 1, maxN * 64),
            MaxTokens = JsonFields.OptionalLong(obj, "max_tokens", p + ".max_tokens") is { } t
                ? (t > 0 ? t : throw ApiError.Invalid(p + ".max_tokens", $"'{p}.max_tokens' must be positive."))
                : null,
            Verifier = JsonFields.OptionalString(obj, "verifier", p + ".verifier"),
            AnswerMarker = JsonFields.OptionalString(obj, "answer_marker", p + ".answer_marker") is { } marker
                ? (marker.Length > 0 ? marker : throw ApiError.Invalid(p + ".answer_marker", $"'{p}.answer_marker' must not be empty."))
                : null,
            Aggregation = JsonFields.OptionalString(obj, "aggregation", p + ".aggregation") is { } a
                ? Enum.TryParse<StepAggregation>(a, ignoreCase: true, out var agg) && Enum.IsDefined(agg) ? agg
                    : throw ApiError.Invalid(p + ".aggregation", $"Unknown aggregation '{a}'; use last, min, product or mean.")
                : null,
        };
        spec.CheckRows(maxN, p + ".n");
        return spec;
    }

    /// <summary>Reads a model-name suffix: <c>strategy</c> or <c>strategy-N</c>.</summary>
    public static StrategySpec ParseSuffix(string suffix, int maxN)
    {
        string name = suffix;
        int? n = null;
        int dash = suffix.LastIndexOf('-');
        if (dash > 0 && int.TryParse(suffix.AsSpan(dash + 1), System.Globalization.NumberStyles.None, null, out int parsed))
        {
            name = suffix[..dash];
            n = parsed;
        }
        if (!Names.Contains(name))
            throw ApiError.Invalid("model", $"Unknown strategy suffix '{suffix}'; use model+strategy or model+strategy-N with one of: {string.Join(", ", Names)}.");
        if (n is < 1 || n > maxN) throw ApiError.Invalid("model", $"The strategy size in '{suffix}' must be between 1 and {maxN}.");
        var spec = new StrategySpec { Strategy = name, N = n ?? 4 };
        spec.CheckRows(maxN, "model");
        return spec;
    }

    private void CheckRows(int maxN, string param)
    {
        if (Rows > maxN) throw ApiError.Invalid(param, $"The strategy asks for {Rows} samples per call; this server allows {maxN}.");
    }

    /// <summary>The pipeline this spec describes, over the given sampler and verifier.</summary>
    public ScalingPipeline Build(ISampler sampler, IVerifier? verifier, SamplingOptions sampling)
    {
        var builder = Scale.With(sampler).Sampling(sampling);
        if (verifier is not null) builder.Verifier(verifier);
        if (AnswerMarker is not null) builder.Extractor(new LastLineAnswerExtractor(AnswerMarker));
        var pipeline = Strategy switch
        {
            "self-consistency" => builder.SelfConsistency(N),
            "adaptive-self-consistency" => builder.AdaptiveSelfConsistency(maxSamples: N, batchSize: Math.Min(4, N)),
            "best-of-n" => builder.BestOfN(N, Aggregation),
            "weighted-best-of-n" => builder.WeightedBestOfN(N, Aggregation),
            "first-finish" => builder.FirstFinish(N),
            "beam-search" => builder.BeamSearch(N, Expansions, MaxDepth),
            "dvts" => builder.Dvts(N, Expansions, MaxDepth),
            "particle-filtering" => builder.ParticleFiltering(N, MaxDepth),
            _ => throw new InvalidOperationException($"Unhandled strategy '{Strategy}'."),
        };
        if (MaxSamples is not null || MaxTokens is not null)
        {
            var implied = pipeline.Context.Budget;
            pipeline = pipeline.WithBudget(new Budget(MaxSamples ?? implied.MaxSamples, MaxTokens ?? implied.MaxGeneratedTokens));
        }
        return pipeline;
    }
}
