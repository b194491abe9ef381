namespace TestTimeScaling;

/// <summary>Scores candidate solutions of a problem: reward models, answer checkers, unit tests.</summary>
public interface IVerifier
{
    /// <summary>Whether scores are per outcome or per step.</summary>
    VerifierKind Kind { get; }

    /// <summary>Scores each solution (text after the prompt); returns one score per solution, in order.</summary>
    Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default);
}
