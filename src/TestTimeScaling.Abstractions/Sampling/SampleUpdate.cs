namespace TestTimeScaling;

/// <summary>
/// What one sample gained since its previous update, as an <see cref="IStreamingSampler"/> reports it while the
/// sample is generated.
/// </summary>
public sealed record SampleUpdate
{
    /// <summary>The sample's position in <see cref="SampleResult.Completions"/> of the same call (prefix-major).</summary>
    public required int Index { get; init; }

    /// <summary>Index into <see cref="SampleRequest.Prefixes"/> of the prefix the sample continues.</summary>
    public int PrefixIndex { get; init; }

    /// <summary>
    /// Text appended since the sample's previous update (may be empty). Concatenated in order, a sample's updates
    /// give its <see cref="Completion.Text"/>: text that could still turn into a stop sequence, and the bytes of a
    /// character not yet complete, are held back until the next token decides them.
    /// </summary>
    public string Text { get; init; } = "";

    /// <summary>Token ids generated since the sample's previous update.</summary>
    public IReadOnlyList<int> TokenIds { get; init; } = [];

    /// <summary>Log-probabilities of <see cref="TokenIds"/>, when the request asked for them.</summary>
    public IReadOnlyList<float>? Logprobs { get; init; }

    /// <summary>Set on the sample's last update: why it stopped.</summary>
    public FinishReason? FinishReason { get; init; }
}
