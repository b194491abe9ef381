using TestTimeScaling.OpenAI;

namespace TestTimeScaling.Server;

/// <summary>
/// What the server serves and the limits that keep it safe to expose. Every limit answers with an
/// OpenAI-style error: 413 for the body size, 400 for per-request caps, 429 when the server is full.
/// </summary>
public sealed record ServerOptions
{
    /// <summary>Folders model directories may be loaded from; a model outside every root is refused at start.</summary>
    public IReadOnlyList<string> ModelRoots { get; init; } = [];

    /// <summary>Local model directories to load.</summary>
    public IReadOnlyList<ServedModelOptions> Models { get; init; } = [];

    /// <summary>
    /// Samplers served under a name without loading anything (an upstream OpenAI-compatible server, or any
    /// <see cref="ISampler"/>). The server does not dispose them.
    /// </summary>
    public IReadOnlyDictionary<string, ISampler> Samplers { get; init; } = new Dictionary<string, ISampler>();

    /// <summary>
    /// Upstream mode: models of an OpenAI-compatible server (vLLM, SGLang, llama.cpp server, Ollama, this server),
    /// each served under its <see cref="OpenAICompatibleSamplerOptions.Model"/> name through an
    /// <see cref="OpenAICompatibleSampler"/> whose HTTP client retries 429/5xx with the standard resilience handler.
    /// </summary>
    public IReadOnlyList<OpenAICompatibleSamplerOptions> Upstreams { get; init; } = [];

    /// <summary>The process reward model (a <see cref="ModelKind.ProcessReward"/> entry's name) strategies use when the request names none; null for none.</summary>
    public string? DefaultVerifier { get; init; }

    /// <summary>Largest request body in bytes (413 beyond).</summary>
    public long MaxRequestBodyBytes { get; init; } = 1 << 20;

    /// <summary>Largest <c>n</c> of a plain request, and largest sample count of a strategy (400 beyond).</summary>
    public int MaxN { get; init; } = 64;

    /// <summary>Largest <c>max_tokens</c> (400 beyond).</summary>
    public int MaxTokens { get; init; } = 1024;

    /// <summary><c>max_tokens</c> when the request gives none (then capped by the context left after the prompt).</summary>
    public int DefaultMaxTokens { get; init; } = 256;

    /// <summary>Longest prompt in tokens (400 beyond), in addition to the model's own context length.</summary>
    public int MaxPromptTokens { get; init; } = 8192;

    /// <summary>Requests served at once; more are answered 429.</summary>
    public int MaxConcurrentRequests { get; init; } = 16;

    /// <summary>Sample rows (n, or a strategy's samples per call) in flight over all requests; a request that would pass it is answered 429.</summary>
    public int MaxRowsInFlight { get; init; } = 256;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(ModelRoots, nameof(ModelRoots));
        ArgumentNullException.ThrowIfNull(Models, nameof(Models));
        ArgumentNullException.ThrowIfNull(Samplers, nameof(Samplers));
        ArgumentNullException.ThrowIfNull(Upstreams, nameof(Upstreams));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRequestBodyBytes, nameof(MaxRequestBodyBytes));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxN, nameof(MaxN));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxTokens, nameof(MaxTokens));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(DefaultMaxTokens, nameof(DefaultMaxTokens));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxPromptTokens, nameof(MaxPromptTokens));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConcurrentRequests, nameof(MaxConcurrentRequests));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRowsInFlight, nameof(MaxRowsInFlight));
        if (Models.Count == 0 && Samplers.Count == 0 && Upstreams.Count == 0)
            throw new ArgumentException("Serve at least one model (Models, Samplers or Upstreams).", nameof(Models));
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var m in Models)
        {
            if (string.IsNullOrWhiteSpace(m.Name) || m.Name.Contains('+'))
                throw new ArgumentException($"Model name '{m.Name}' must be non-empty and free of '+' (the strategy suffix separator).", nameof(Models));
            if (!names.Add(m.Name)) throw new ArgumentException($"Model name '{m.Name}' is used twice.", nameof(Models));
        }
        foreach (var name in Samplers.Keys)
        {
            if (string.IsNullOrWhiteSpace(name) || name.Contains('+'))
                throw new ArgumentException($"Sampler name '{name}' must be non-empty and free of '+'.", nameof(Samplers));
            if (!names.Add(name)) throw new ArgumentException($"Model name '{name}' is used twice.", nameof(Samplers));
        }
        foreach (var upstream in Upstreams)
        {
            ArgumentNullException.ThrowIfNull(upstream, nameof(Upstreams));
            upstream.Validate();
            if (upstream.Model.Contains('+'))
                throw new ArgumentException($"Upstream model name '{upstream.Model}' must be free of '+'.", nameof(Upstreams));
            if (!names.Add(upstream.Model)) throw new ArgumentException($"Model name '{upstream.Model}' is used twice.", nameof(Upstreams));
        }
        if (Models.Count > 0 && ModelRoots.Count == 0)
            throw new ArgumentException("Local models need at least one model root (ModelRoots).", nameof(ModelRoots));
        if (DefaultVerifier is not null && !Models.Any(m => m.Name == DefaultVerifier && m.Kind == ModelKind.ProcessReward))
            throw new ArgumentException($"DefaultVerifier '{DefaultVerifier}' is not a configured process reward model.", nameof(DefaultVerifier));
    }

    /// <summary>
    /// The defaults of <c>dotnet run</c>: the embedded policy and process reward model from the repository's
    /// <c>models/</c> folder (or one beside the program), that folder as the only root.
    /// </summary>
    /// <exception cref="DirectoryNotFoundException">No embedded models were found.</exception>
    public static ServerOptions EmbeddedDefaults()
    {
        string models = EmbeddedModelLocator.Locate();
        return new ServerOptions
        {
            ModelRoots = [models],
            Models =
            [
                new ServedModelOptions { Name = "arithmetic-policy", Path = Path.Combine(models, "arithmetic-policy") },
                new ServedModelOptions { Name = "arithmetic-prm", Path = Path.Combine(models, "arithmetic-prm"), Kind = ModelKind.ProcessReward },
            ],
            DefaultVerifier = "arithmetic-prm",
        };
    }
}
