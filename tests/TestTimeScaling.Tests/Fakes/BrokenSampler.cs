namespace TestTimeScaling.Tests.Fakes;

/// <summary>What <see cref="BrokenSampler"/> breaks.</summary>
public enum Breakage { NullText, NullCompletion, NullTokenIds, NullList, NullResult }

/// <summary>Forwards to a sampler and breaks the last row (or the whole result) of one call.</summary>
public sealed class BrokenSampler(ISampler inner, Breakage breakage, int onCall = 0) : ISampler
{
    private int _calls;

    /// <summary>Index of the row it broke, once it has.</summary>
    public int? BrokenRow { get; private set; }

    public SamplerCapabilities Capabilities => inner.Capabilities;

    public int CountTokens(string text) => inner.CountTokens(text);

    public async Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default)
    {
        var result = await inner.SampleAsync(request, cancellationToken);
        if (_calls++ != onCall || result.Completions.Count == 0) return result;
        var rows = result.Completions.ToList();
        int last = rows.Count - 1;
        switch (breakage)
        {
            case Breakage.NullResult: BrokenRow = -1; return null!;
            case Breakage.NullList: BrokenRow = -1; return result with { Completions = null! };
            case Breakage.NullCompletion: rows[last] = null!; break;
            case Breakage.NullText: rows[last] = rows[last] with { Text = null! }; break;
            case Breakage.NullTokenIds: rows[last] = rows[last] with { TokenIds = null! }; break;
        }
        BrokenRow = last;
        return result with { Completions = rows };
    }
}
