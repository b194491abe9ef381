namespace TestTimeScaling.OpenAI;

/// <summary>
/// Where and how <see cref="OpenAICompatibleSampler"/> reaches an OpenAI-compatible completions server
/// (vLLM, SGLang, llama.cpp server, Ollama, OpenAI).
/// </summary>
/// <remarks>
/// Defaults suit vLLM and SGLang. For a server that lacks a feature, turn it off here so
/// <see cref="OpenAICompatibleSampler.Capabilities"/> tells the strategies the truth (see docs/scale-out.md).
/// </remarks>
public sealed record OpenAICompatibleSamplerOptions
{
    /// <summary>Base URL of the API, up to and including the version segment, e.g. <c>http://gpu-node:8000/v1/</c>.</summary>
    public Uri? Endpoint { get; init; }

    /// <summary>The served model name sent as <c>model</c>.</summary>
    public string Model { get; init; } = "";

    /// <summary>Sent as <c>Authorization: Bearer ...</c> when set.</summary>
    public string? ApiKey { get; init; }

    /// <summary>Largest <c>n</c> sent in one HTTP request; larger requests are split into several (with distinct derived seeds).</summary>
    public int MaxRowsPerRequest { get; init; } = 64;

    /// <summary>Most HTTP requests this sampler keeps in flight at once, over all its calls.</summary>
    public int MaxConcurrentRequests { get; init; } = 16;

    /// <summary>
    /// Fields added to every request body as they are (server-specific knobs such as
    /// <c>repetition_penalty</c>); they override what the sampler would send for the same name.
    /// Values are serialized with System.Text.Json.
    /// </summary>
    public IReadOnlyDictionary<string, object?> AdditionalRequestFields { get; init; } = new Dictionary<string, object?>();

    /// <summary>Whether the server returns per-token logprobs on the completions route (all of vLLM, SGLang, llama.cpp, OpenAI; not Ollama).</summary>
    public bool SupportsLogprobs { get; init; } = true;

    /// <summary>Whether the server accepts <c>top_k</c> and <c>min_p</c> as extra fields (vLLM, SGLang, llama.cpp; OpenAI rejects them).</summary>
    public bool SupportsExtendedSampling { get; init; } = true;

    /// <summary>
    /// Whether to ask vLLM for token ids (<c>return_tokens_as_token_ids</c>); otherwise
    /// <see cref="Completion.TokenIds"/> holds -1 per generated token (the count is right, the ids unknown).
    /// </summary>
    public bool RequestTokenIds { get; init; }

    /// <summary>
    /// Whether <see cref="SampleRequest.StopAfterFinished"/> streams (SSE) and cancels the remaining rows once
    /// enough have finished. When false, every row runs to its end and <see cref="SamplerCapabilities.StopAfterFinished"/> is false.
    /// </summary>
    /// <remarks>
    /// Usage is then counted from what streamed, which is what the server generated only when it streams token by
    /// token and aborts a request whose client leaves (vLLM, SGLang, llama.cpp server). Turn it off for a server that
    /// generates whole samples before streaming them (the project's own server does): there the rest would be
    /// generated anyway, and under-counted.
    /// </remarks>
    public bool StreamForStopAfterFinished { get; init; } = true;

    /// <summary>Whether the server caches shared prefixes (vLLM automatic prefix caching, SGLang RadixAttention); reported in capabilities.</summary>
    public bool ServerCachesPrefixes { get; init; }

    /// <summary>The served model's context length, when known; reported in capabilities.</summary>
    public int? ContextLength { get; init; }

    /// <summary>How <see cref="OpenAICompatibleSampler.CountTokens"/> counts; see <see cref="TokenCounting"/>.</summary>
    public TokenCounting TokenCounting { get; init; } = TokenCounting.Auto;

    /// <summary>A local tokenizer (text to token count), e.g. <c>Microsoft.ML.Tokenizers</c> over the model's tokenizer.json.</summary>
    public Func<string, int>? Tokenizer { get; init; }

    /// <summary>Path of the tokenize endpoint relative to the server root (vLLM, SGLang and llama.cpp serve <c>/tokenize</c>).</summary>
    public string TokenizePath { get; init; } = "/tokenize";

    /// <summary>Characters per token assumed by the estimate used when nothing better is available.</summary>
    public double CharactersPerTokenEstimate { get; init; } = 4.0;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (Endpoint is null) throw new ArgumentException("Endpoint must be set (e.g. http://localhost:8000/v1/).", nameof(Endpoint));
        if (!Endpoint.IsAbsoluteUri || (Endpoint.Scheme != Uri.UriSchemeHttp && Endpoint.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"Endpoint must be an absolute http(s) URL; got '{Endpoint}'.", nameof(Endpoint));
        if (string.IsNullOrWhiteSpace(Model)) throw new ArgumentException("Model must name the served model.", nameof(Model));
        if (MaxRowsPerRequest <= 0) throw new ArgumentOutOfRangeException(nameof(MaxRowsPerRequest), MaxRowsPerRequest, "MaxRowsPerRequest must be positive.");
        if (MaxConcurrentRequests <= 0) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRequests), MaxConcurrentRequests, "MaxConcurrentRequests must be positive.");
        if (AdditionalRequestFields is null) throw new ArgumentNullException(nameof(AdditionalRequestFields));
        if (ContextLength is <= 0) throw new ArgumentOutOfRangeException(nameof(ContextLength), ContextLength, "ContextLength must be positive when set.");
        if (TokenCounting == TokenCounting.LocalTokenizer && Tokenizer is null)
            throw new ArgumentException("TokenCounting is LocalTokenizer but no Tokenizer was given.", nameof(Tokenizer));
        if (string.IsNullOrWhiteSpace(TokenizePath)) throw new ArgumentException("TokenizePath must not be empty.", nameof(TokenizePath));
        if (!(CharactersPerTokenEstimate > 0)) throw new ArgumentOutOfRangeException(nameof(CharactersPerTokenEstimate), CharactersPerTokenEstimate, "CharactersPerTokenEstimate must be positive.");
    }
}
