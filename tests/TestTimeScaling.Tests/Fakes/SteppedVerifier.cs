namespace TestTimeScaling.Tests.Fakes;

/// <summary>
/// A verifier whose work takes simulated decode steps: it scores in batches, checks the token before each
/// batch, and ticks the clock <see cref="StepsPerBatch"/> times per batch, as a reward model scoring in
/// small batches would.
/// </summary>
public sealed class SteppedVerifier(IVerifier inner, DecodeClock clock, int batchSize = 4) : IVerifier
{
    /// <summary>Simulated decode steps one batch costs.</summary>
    public int StepsPerBatch { get; init; } = 1;

    public VerifierKind Kind => inner.Kind;

    public async Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        var scores = new List<VerifierScore>(solutions.Count);
        for (int start = 0; start < solutions.Count; start += batchSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (int t = 0; t < StepsPerBatch; t++) clock.Tick();
            scores.AddRange(await inner.ScoreAsync(problem, solutions.Skip(start).Take(batchSize).ToList(), cancellationToken));
        }
        return scores;
    }
}
