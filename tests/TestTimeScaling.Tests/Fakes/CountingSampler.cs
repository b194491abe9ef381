namespace TestTimeScaling.Tests.Fakes;

/// <summary>Wraps a sampler and counts what strategies ask of it; an optional hook runs before each call.</summary>
public sealed class CountingSampler(ISampler inner) : ISampler
{
    private readonly List<SampleRequest> _requests = [];

    public IReadOnlyList<SampleRequest> Requests => _requests;
    public int Calls => _requests.Count;
    public long Rows { get; private set; }
    public long GeneratedTokens { get; private set; }
    /// <summary>
    /// Per call: tokens generated before it plus its worst case (rows x MaxNewTokens, or the call's MaxTotalNewTokens
    /// when the sampler enforces it and it is smaller); a budget must cover the largest.
    /// </summary>
    public long PeakCommittedTokens { get; private set; }
    /// <summary>Completed solutions returned: rows that did not pause at a step boundary and were not abandoned.</summary>
    public long FinishedRows { get; private set; }
    public Action<int>? BeforeCall { get; set; }
    public Action<int>? AfterCall { get; set; }

    public SamplerCapabilities Capabilities => inner.Capabilities;

    public int CountTokens(string text) => inner.CountTokens(text);

    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        BeforeCall?.Invoke(_requests.Count);
        _requests.Add(request);
        Rows += request.RowCount;
        long worst = (long)request.RowCount * request.Options.MaxNewTokens;
        if (Capabilities.SharedTokenAllowance && request.MaxTotalNewTokens is { } allowance) worst = Math.Min(worst, allowance);
        PeakCommittedTokens = Math.Max(PeakCommittedTokens, GeneratedTokens + worst);
        SampleResult result;
        try
        {
            result = await inner.SampleAsync(request, cancellationToken);
        }
        catch (SamplingCanceledException canceled)
        {
            GeneratedTokens += canceled.Partial.Completions.Sum(c => c.GeneratedTokens);
            throw;
        }
        GeneratedTokens += result.Completions.Sum(c => c.GeneratedTokens);
        FinishedRows += result.Completions.Count(c => c.FinishReason is FinishReason.Stop or FinishReason.Length);
        AfterCall?.Invoke(_requests.Count - 1);
        return result;
    }
}
