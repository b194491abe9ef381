using System.Text.Json;

namespace TestTimeScaling.Server;

/// <summary>The fields the completions and chat completions routes share, read and checked against the limits.</summary>
internal sealed record GenerationRequest
{
    /// <summary>The model name as the client sent it (suffix included), echoed in the answer.</summary>
    public required string ModelName { get; init; }

    public required ServedModel Model { get; init; }

    public required string Prompt { get; init; }

    public required int PromptTokens { get; init; }

    public int N { get; init; } = 1;

    public required SamplingOptions Sampling { get; init; }

    /// <summary>Top alternatives asked for per token, or null when logprobs were not asked for.</summary>
    public int? Logprobs { get; init; }

    public bool Stream { get; init; }

    public bool IncludeUsageInStream { get; init; }

    public StrategySpec? Strategy { get; init; }

    /// <summary>Sample rows this request puts in flight.</summary>
    public int Rows => Strategy?.Rows ?? N;

    /// <summary>Resolves <c>model</c>: a served model, optionally followed by <c>+strategy[-N]</c>.</summary>
    public static (string Name, ServedModel Model, StrategySpec? Suffix) ResolveModel(JsonElement root, ModelCatalog catalog, ServerOptions options)
    {
        string name = JsonFields.RequiredString(root, "model", "model");
        int plus = name.IndexOf('+');
        string baseName = plus < 0 ? name : name[..plus];
        var model = catalog.Find(baseName) ?? throw ApiError.UnknownModel(name);
        var suffix = plus < 0 ? null : StrategySpec.ParseSuffix(name[(plus + 1)..], options.MaxN);
        return (name, model, suffix);
    }

    /// <summary>Reads the shared fields; <paramref name="chat"/> picks the chat route's spelling of logprobs and max tokens.</summary>
    public static GenerationRequest Parse(JsonElement root, string prompt, bool chat, ModelCatalog catalog, ServerOptions options)
    {
        var (name, model, suffixSpec) = ResolveModel(root, catalog, options);
        if (model.Kind != ModelKind.Policy || model.Sampler is null)
            throw ApiError.Invalid("model", $"The model '{model.Name}' is a reward model; it is served by POST /pooling, not by the completions routes.");

        int n = JsonFields.OptionalInt(root, "n", "n", 1, options.MaxN) ?? 1;
        var strategy = JsonFields.Get(root, "test_time_scaling") is { } tts ? StrategySpec.Parse(tts, options.MaxN) : suffixSpec;
        if (strategy is not null && n != 1)
            throw ApiError.Invalid("n", "With a test_time_scaling strategy, n must be 1: the strategy's own size is test_time_scaling.n.");

        double temperature = JsonFields.OptionalDouble(root, "temperature", "temperature", 0, 2) ?? 1.0;
        double? topP = JsonFields.OptionalDouble(root, "top_p", "top_p", 0, 1, minExclusive: true);
        int? topK = JsonFields.OptionalInt(root, "top_k", "top_k", -1, int.MaxValue) is { } k && k > 0 ? k : null;
        double? minP = JsonFields.OptionalDouble(root, "min_p", "min_p", 0, 1);
        if (minP is 1.0) throw ApiError.Invalid("min_p", "'min_p' must be below 1.");
        long? seed = JsonFields.OptionalLong(root, "seed", "seed");
        var stop = JsonFields.StringOrArray(root, "stop", "stop", 16);

        int? maxTokens = chat
            ? JsonFields.OptionalInt(root, "max_completion_tokens", "max_completion_tokens", 1, options.MaxTokens)
              ?? JsonFields.OptionalInt(root, "max_tokens", "max_tokens", 1, options.MaxTokens)
            : JsonFields.OptionalInt(root, "max_tokens", "max_tokens", 1, options.MaxTokens);

        int? logprobs;
        if (chat)
        {
            bool asked = JsonFields.OptionalBool(root, "logprobs", "logprobs") ?? false;
            int? top = JsonFields.OptionalInt(root, "top_logprobs", "top_logprobs", 0, 20);
            if (top is not null && !asked) throw ApiError.Invalid("top_logprobs", "'top_logprobs' needs 'logprobs': true.");
            logprobs = asked ? top ?? 0 : null;
        }
        else
        {
            logprobs = JsonFields.OptionalInt(root, "logprobs", "logprobs", 0, 5);
        }
        if (logprobs is not null && (model.Tokenizer is null || !model.Sampler.Capabilities.Logprobs))
            throw ApiError.Invalid("logprobs", $"The model '{model.Name}' does not report token logprobs.");
        if (logprobs is not null && strategy is not null)
            throw ApiError.Invalid("logprobs", "logprobs are not returned with a test_time_scaling strategy (its answer joins several samples).");

        bool stream = JsonFields.OptionalBool(root, "stream", "stream") ?? false;
        bool includeUsage = JsonFields.Get(root, "stream_options") is { } so
            ? (so.ValueKind == JsonValueKind.Object ? JsonFields.OptionalBool(so, "include_usage", "stream_options.include_usage") ?? false
                : throw ApiError.Invalid("stream_options", "'stream_options' must be an object."))
            : false;

        int promptTokens = model.CountPromptTokens(prompt);
        if (promptTokens > options.MaxPromptTokens)
            throw ApiError.Invalid(chat ? "messages" : "prompt", $"The prompt is {promptTokens} tokens; this server allows {options.MaxPromptTokens}.", "prompt_too_long");
        if (model.ContextLength is int context)
        {
            if (promptTokens >= context)
                throw ApiError.Invalid(chat ? "messages" : "prompt", $"This model's maximum context length is {context} tokens; the prompt is {promptTokens} tokens.", "context_length_exceeded");
            if (maxTokens is int m && promptTokens + m > context)
                throw ApiError.Invalid(chat && JsonFields.Get(root, "max_completion_tokens") is not null ? "max_completion_tokens" : "max_tokens",
                    $"This model's maximum context length is {context} tokens; the prompt ({promptTokens}) plus max_tokens ({m}) is {promptTokens + m}.", "context_length_exceeded");
        }
        int effectiveMax = maxTokens ?? Math.Min(options.DefaultMaxTokens, (model.ContextLength ?? int.MaxValue) - promptTokens);

        var sampling = new SamplingOptions
        {
            Temperature = temperature,
            TopP = topP,
            TopK = topK,
            MinP = minP is 0 ? null : minP,
            MaxNewTokens = effectiveMax,
            StopSequences = stop,
            Seed = seed,
            IncludeLogprobs = logprobs is not null || strategy is not null,
        };
        return new GenerationRequest
        {
            ModelName = name, Model = model, Prompt = prompt, PromptTokens = promptTokens, N = n, Sampling = sampling,
            Logprobs = logprobs, Stream = stream, IncludeUsageInStream = includeUsage, Strategy = strategy,
        };
    }
}
