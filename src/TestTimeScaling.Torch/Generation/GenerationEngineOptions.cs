namespace TestTimeScaling.Torch;

/// <summary>Settings of a <see cref="GenerationEngine"/>.</summary>
public sealed record GenerationEngineOptions
{
    /// <summary>Prepend the tokenizer's BOS token to every prompt; null (the default) does what the tokenizer says (<c>add_bos_token</c>).</summary>
    public bool? AddBosToken { get; init; }

    /// <summary>
    /// Keep the KV cache of the last call and reuse its rows for later calls whose token sequences
    /// start the same way (step-level search continues yesterday's prefixes). Costs memory for the
    /// retained rows; turn off to free the cache after every call.
    /// </summary>
    public bool ReuseCacheAcrossCalls { get; init; } = true;

    /// <summary>How tokens are drawn; <see cref="TokenDrawMethod.InverseCdf"/> (the fast one) by default.</summary>
    public TokenDrawMethod DrawMethod { get; init; } = TokenDrawMethod.InverseCdf;

    /// <summary>Most rows (prefixes x n) in one call.</summary>
    public int MaxRowsPerRequest { get; init; } = 1024;
}
