namespace TestTimeScaling;

/// <summary>
/// One call to a sampler: continue a prompt, or several partial solutions of it, n times each.
/// </summary>
/// <remarks>
/// The prompt is shared by every row, so an engine prefills it once. Each prefix is a partial
/// solution that follows the prompt (an empty prefix starts a fresh solution); step-level search
/// passes many different prefixes in one call so they advance in one batch.
/// </remarks>
public sealed record SampleRequest
{
    /// <summary>The problem text given to the model, exactly as it should be tokenized.</summary>
    public required string Prompt { get; init; }

    /// <summary>Partial solutions that follow <see cref="Prompt"/>; each is continued <see cref="N"/> times.</summary>
    public IReadOnlyList<string> Prefixes { get; init; } = [""];

    /// <summary>Samples per prefix; must be positive.</summary>
    public int N { get; init; } = 1;

    /// <summary>How tokens are drawn.</summary>
    public SamplingOptions Options { get; init; } = new();

    /// <summary>
    /// When set, the call returns as soon as this many samples have finished (First Finish Search);
    /// the others come back as they stand, with <see cref="FinishReason.Abandoned"/>.
    /// </summary>
    public int? StopAfterFinished { get; init; }

    /// <summary>
    /// When set, the most tokens all rows of this call may generate together: a shared allowance the sampler
    /// draws from as it generates. When the allowance cannot pay for every unfinished row's next token, the
    /// rows that come first in request order get the tokens that are left and the others stop where they stand
    /// with <see cref="FinishReason.Length"/>; a row cut this way counts as finished. Strategies use it to spend a
    /// token budget exactly: tokens actually generated are charged, nothing more. Samplers whose
    /// <see cref="SamplerCapabilities.SharedTokenAllowance"/> is false ignore it (strategies then cap each row instead).
    /// </summary>
    public long? MaxTotalNewTokens { get; init; }

    /// <summary>Total rows this request asks for.</summary>
    public int RowCount => Prefixes.Count * N;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid field.</summary>
    public void Validate()
    {
        if (Prompt is null) throw new ArgumentNullException(nameof(Prompt));
        if (N <= 0) throw new ArgumentOutOfRangeException(nameof(N), N, "N (samples per prefix) must be positive.");
        if (Prefixes is null || Prefixes.Count == 0) throw new ArgumentException("Prefixes must hold at least one entry (use \"\" for a fresh start).", nameof(Prefixes));
        if (Prefixes.Any(p => p is null)) throw new ArgumentException("Prefixes must not contain null.", nameof(Prefixes));
        if (StopAfterFinished is <= 0) throw new ArgumentOutOfRangeException(nameof(StopAfterFinished), StopAfterFinished, "StopAfterFinished must be positive when set.");
        if (MaxTotalNewTokens is <= 0) throw new ArgumentOutOfRangeException(nameof(MaxTotalNewTokens), MaxTotalNewTokens, "MaxTotalNewTokens must be positive when set.");
        ArgumentNullException.ThrowIfNull(Options, nameof(Options));
        Options.Validate();
    }
}
