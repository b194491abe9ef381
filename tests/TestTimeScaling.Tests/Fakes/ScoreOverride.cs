namespace TestTimeScaling.Tests.Fakes;

/// <summary>
/// Forwards to a verifier and rewrites scores: the value (or first step score) of the solution with overall index
/// <see cref="Index"/> (counted across calls) becomes <see cref="Value"/>, and <see cref="Shift"/> is added to every other.
/// </summary>
public sealed class ScoreOverride(IVerifier inner) : IVerifier
{
    private int _seen;

    public int Index { get; init; } = -1;
    public double Value { get; init; }
    public bool InStepScores { get; init; }
    public double Shift { get; init; }

    public VerifierKind Kind => inner.Kind;

    public async Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        var scores = await inner.ScoreAsync(problem, solutions, cancellationToken);
        var result = new List<VerifierScore>(scores.Count);
        foreach (var s in scores)
        {
            int i = _seen++;
            var shifted = s with { Value = s.Value + Shift, StepScores = s.StepScores?.Select(x => x + Shift).ToList() };
            if (i == Index)
                shifted = InStepScores
                    ? shifted with { StepScores = [Value, .. shifted.StepScores!.Skip(1)] }
                    : shifted with { Value = Value };
            result.Add(shifted);
        }
        return result;
    }
}
