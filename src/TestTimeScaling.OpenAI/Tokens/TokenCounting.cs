namespace TestTimeScaling.OpenAI;

/// <summary>How a remote sampler counts tokens of text it did not generate (prompts, prefixes, budgets).</summary>
public enum TokenCounting
{
    /// <summary>The local tokenizer when given, else the server's tokenize endpoint, else an estimate (marked in <see cref="Usage.TokensEstimated"/>).</summary>
    Auto,
    /// <summary>Only the local <see cref="OpenAICompatibleSamplerOptions.Tokenizer"/>.</summary>
    LocalTokenizer,
    /// <summary>Only the server's tokenize endpoint; a failure is an error.</summary>
    ServerEndpoint,
    /// <summary>Only the characters-per-token estimate (no requests), marked in <see cref="Usage.TokensEstimated"/>.</summary>
    Estimate,
}
