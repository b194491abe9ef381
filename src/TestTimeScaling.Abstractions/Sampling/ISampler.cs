namespace TestTimeScaling;

/// <summary>
/// Produces continuations of a prompt: n samples of one prefix, or of many prefixes at once.
/// Implemented by the in-process TorchSharp engine and, later, by remote OpenAI-compatible servers.
/// </summary>
public interface ISampler
{
    /// <summary>What this sampler supports.</summary>
    SamplerCapabilities Capabilities { get; }

    /// <summary>Number of tokens <paramref name="text"/> encodes to, for budgets and context checks.</summary>
    int CountTokens(string text);

    /// <summary>Samples <see cref="SampleRequest.N"/> continuations of every prefix.</summary>
    /// <exception cref="ArgumentException">The request is invalid (the message names the field).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default);
}
