namespace TestTimeScaling;

/// <summary>
/// A checker written as code (exact answer match, unit tests, a simulator) used as an outcome verifier.
/// </summary>
/// <remarks>
/// "When To Solve, When To Verify" and "Large Language Monkeys" (Brown et al. 2024) show that with a
/// reliable programmatic checker, repeated sampling keeps improving with N; this adapter lets such a
/// checker drive Best-of-N, refinement and the rest. The delegate runs synchronously, once per solution.
/// </remarks>
public sealed class ProgrammaticVerifier : IVerifier
{
    private readonly Func<Problem, string, double> _score;

    /// <summary>A verifier whose score is the delegate's value (higher is better).</summary>
    /// <param name="score">Scores one solution of a problem.</param>
    public ProgrammaticVerifier(Func<Problem, string, double> score)
    {
        ArgumentNullException.ThrowIfNull(score);
        _score = score;
    }

    /// <summary>A pass/fail verifier: 1 when the delegate accepts the solution, else 0.</summary>
    /// <param name="accept">Whether a solution is correct.</param>
    public ProgrammaticVerifier(Func<Problem, string, bool> accept)
    {
        ArgumentNullException.ThrowIfNull(accept);
        _score = (p, s) => accept(p, s) ? 1.0 : 0.0;
    }

    /// <summary>
    /// A checker that compares the extracted answer with <see cref="Problem.ReferenceAnswer"/> (normalized by
    /// the same extractor's rules); an oracle for evaluation, since deployed problems have no reference.
    /// </summary>
    /// <param name="extractor">Finds the answer in a solution.</param>
    /// <param name="normalization">How the reference answer is normalized before comparing.</param>
    public static ProgrammaticVerifier ReferenceAnswer(IAnswerExtractor extractor, AnswerNormalization normalization = AnswerNormalization.Default)
    {
        ArgumentNullException.ThrowIfNull(extractor);
        return new ProgrammaticVerifier((Problem p, string s) =>
            p.ReferenceAnswer is { } reference && extractor.Extract(s) is { } answer &&
            answer == AnswerNormalizer.Normalize(reference, normalization));
    }

    /// <inheritdoc />
    public VerifierKind Kind => VerifierKind.Outcome;

    /// <inheritdoc />
    public Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(solutions);
        var scores = new VerifierScore[solutions.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            scores[i] = new VerifierScore(_score(problem, solutions[i]));
        }
        return Task.FromResult<IReadOnlyList<VerifierScore>>(scores);
    }
}
