using System.Diagnostics;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// Measures the seconds spent on each problem of a run that solves many problems through one sampler and verifier
/// (the allocator's cell): every sampler and verifier call is timed and charged to the problem whose prompt it carries.
/// </summary>
/// <remarks>
/// The allocator reports tokens per problem but not time; its calls run one at a time, so timing them one by one
/// gives each problem its own sampling and scoring time, as a per-problem cell's record has. What the allocator does
/// between calls (voting, choosing the next problem) is a few microseconds and is left out.
/// </remarks>
internal sealed class ProblemClock
{
    private readonly Dictionary<string, int> _byPrompt = new(StringComparer.Ordinal);
    private readonly double[] _seconds;
    private int _last;

    /// <summary>A clock for problems with these prompts, in order.</summary>
    public ProblemClock(IReadOnlyList<string> prompts)
    {
        _seconds = new double[prompts.Count];
        for (int i = 0; i < prompts.Count; i++) _byPrompt.TryAdd(prompts[i], i);
    }

    /// <summary>Seconds charged to problem <paramref name="index"/> so far.</summary>
    public double Seconds(int index) => _seconds[index];

    /// <summary>The sampler, timed.</summary>
    public ISampler Wrap(ISampler sampler) => new TimedSampler(sampler, this);

    /// <summary>The verifier, timed.</summary>
    public IVerifier Wrap(IVerifier verifier) => new TimedVerifier(verifier, this);

    private async Task<T> Time<T>(string prompt, Func<Task<T>> call)
    {
        // A prompt that is no problem's (a strategy that rewrites it) is charged to the problem of the previous call.
        int index = _byPrompt.TryGetValue(prompt, out int i) ? _last = i : _last;
        long start = Stopwatch.GetTimestamp();
        try { return await call().ConfigureAwait(false); }
        finally { _seconds[index] += Stopwatch.GetElapsedTime(start).TotalSeconds; }
    }

    private sealed class TimedSampler(ISampler inner, ProblemClock clock) : ISampler
    {
        public SamplerCapabilities Capabilities => inner.Capabilities;

        public int CountTokens(string text) => inner.CountTokens(text);

        public Task<SampleResult> SampleAsync(SampleRequest request, CancellationToken cancellationToken = default) =>
            clock.Time(request.Prompt, () => inner.SampleAsync(request, cancellationToken));
    }

    private sealed class TimedVerifier(IVerifier inner, ProblemClock clock) : IVerifier
    {
        public VerifierKind Kind => inner.Kind;

        public Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default) =>
            clock.Time(problem.Prompt, () => inner.ScoreAsync(problem, solutions, cancellationToken));
    }
}
