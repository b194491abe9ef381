namespace TestTimeScaling;

/// <summary>
/// A sampler that can also report its samples while they are generated (a server streaming tokens to its clients,
/// a chat client's <c>GetStreamingResponseAsync</c>).
/// </summary>
public interface IStreamingSampler : ISampler
{
    /// <summary>
    /// Samples like <see cref="ISampler.SampleAsync"/>, yielding each sample's new text as it is generated. Every
    /// sample ends with an update whose <see cref="SampleUpdate.FinishReason"/> is set, and the concatenated texts
    /// of its updates equal the text <see cref="ISampler.SampleAsync"/> would return for the same request and seed.
    /// Updates of different samples interleave. Leaving the enumeration early cancels the call.
    /// </summary>
    /// <exception cref="ArgumentException">The request is invalid (the message names the field).</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled.</exception>
    IAsyncEnumerable<SampleUpdate> StreamAsync(SampleRequest request, CancellationToken cancellationToken = default);
}
