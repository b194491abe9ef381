namespace TestTimeScaling.OpenAI.Tests.Infrastructure;

/// <summary>Serves as the upstream's model and counts what it generated: the ground truth a budget is checked against.</summary>
public sealed class CountingSampler(ISampler inner) : ISampler
{
    private long _generated, _rows, _calls;

    public long GeneratedTokens => Interlocked.Read(ref _generated);
    public long Rows => Interlocked.Read(ref _rows);
    public long Calls => Interlocked.Read(ref _calls);

    public SamplerCapabilities Capabilities => inner.Capabilities;

    public int CountTokens(string text) => inner.CountTokens(text);

    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        var result = await inner.SampleAsync(request, cancellationToken);
        Interlocked.Increment(ref _calls);
        Interlocked.Add(ref _rows, result.Completions.Count);
        Interlocked.Add(ref _generated, Math.Max(result.Usage.GeneratedTokens, result.Completions.Sum(c => (long)c.GeneratedTokens)));
        return result;
    }
}
