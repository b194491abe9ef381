namespace TestTimeScaling;

/// <summary>
/// Wraps a process verifier so that each score's <see cref="VerifierScore.Value"/> is its step scores
/// combined by a chosen <see cref="StepAggregation"/>; step scores and feedback pass through unchanged.
/// </summary>
/// <remarks>
/// A PRM reports its own outcome value, but which aggregation selects best depends on how it was
/// trained (Snell et al. 2024; Lightman et al. 2023), so strategies let the caller choose.
/// A score without step scores keeps the inner value.
/// </remarks>
public sealed class ProcessScoreAggregator : IVerifier
{
    private readonly IVerifier _inner;

    /// <summary>Wraps <paramref name="inner"/>.</summary>
    /// <param name="inner">A verifier that reports step scores.</param>
    /// <param name="aggregation">How to turn step scores into the outcome value.</param>
    public ProcessScoreAggregator(IVerifier inner, StepAggregation aggregation)
    {
        ArgumentNullException.ThrowIfNull(inner);
        if (!Enum.IsDefined(aggregation)) throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown step aggregation.");
        _inner = inner;
        Aggregation = aggregation;
    }

    /// <summary>The wrapped verifier.</summary>
    internal IVerifier Inner => _inner;

    /// <summary>The aggregation applied.</summary>
    public StepAggregation Aggregation { get; }

    /// <inheritdoc />
    public VerifierKind Kind => _inner.Kind;

    /// <inheritdoc />
    public async Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        var scores = await _inner.ScoreAsync(problem, solutions, cancellationToken).ConfigureAwait(false);
        // A null list is the inner verifier's contract break; pass it on for the caller to report by name.
        if (scores is null) return null!;
        // A non-finite value is kept as the verifier gave it, so the caller refuses it by the same rule as any other score.
        return scores.Select(s => s?.StepScores is { Count: > 0 } steps && double.IsFinite(s.Value) ? s with { Value = steps.Aggregate(Aggregation) } : s).ToList()!;
    }

    /// <summary>
    /// Returns <paramref name="verifier"/> wrapped when it is a process verifier and an aggregation is given,
    /// else the verifier itself.
    /// </summary>
    internal static IVerifier Wrap(IVerifier verifier, StepAggregation? aggregation) =>
        aggregation is { } a && verifier.Kind == VerifierKind.Process ? new ProcessScoreAggregator(verifier, a) : verifier;
}
