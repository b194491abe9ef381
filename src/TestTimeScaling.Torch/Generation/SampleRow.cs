namespace TestTimeScaling.Torch;

/// <summary>One sequence being generated: what it continues, what it has produced, and whether it is done.</summary>
internal sealed class SampleRow(int prefixIndex, int[] contextTokens)
{
    public int PrefixIndex { get; } = prefixIndex;

    /// <summary>Prompt and prefix tokens (all of them are in the cache).</summary>
    public int[] ContextTokens { get; } = contextTokens;

    public List<int> Generated { get; } = [];
    public List<float> Logprobs { get; } = [];
    public FinishReason? Finish { get; set; }

    /// <summary>Generated text to report, fixed when a stop rule cuts it; otherwise decoded at the end.</summary>
    public string? Text { get; set; }

    /// <summary>Characters of decoded text already searched for stops.</summary>
    public int ScannedLength { get; set; }

    /// <summary>The tokens whose keys and values sit in this row's cache: context plus every generated token but the last.</summary>
    public int[] CachedTokens() => [.. ContextTokens, .. Generated.Take(Math.Max(0, Generated.Count - 1))];
}
