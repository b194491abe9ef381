namespace TestTimeScaling.OpenAI;

/// <summary>Settings of a <see cref="ChatClientSampler"/>.</summary>
public sealed record ChatClientSamplerOptions
{
    /// <summary>Sent as <c>ChatOptions.ModelId</c> when set (otherwise the client's default model).</summary>
    public string? ModelId { get; init; }

    /// <summary>Sent as <c>ChatOptions.Instructions</c> when set.</summary>
    public string? Instructions { get; init; }

    /// <summary>Most chat calls in flight at once, over all calls of this sampler.</summary>
    public int MaxConcurrentRequests { get; init; } = 8;

    /// <summary>A local tokenizer (text to token count); otherwise counts the client did not report are estimated.</summary>
    public Func<string, int>? Tokenizer { get; init; }

    /// <summary>Characters per token assumed by the estimate.</summary>
    public double CharactersPerTokenEstimate { get; init; } = 4.0;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (MaxConcurrentRequests <= 0) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRequests), MaxConcurrentRequests, "MaxConcurrentRequests must be positive.");
        if (!(CharactersPerTokenEstimate > 0)) throw new ArgumentOutOfRangeException(nameof(CharactersPerTokenEstimate), CharactersPerTokenEstimate, "CharactersPerTokenEstimate must be positive.");
    }
}
