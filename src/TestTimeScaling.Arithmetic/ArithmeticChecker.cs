namespace TestTimeScaling.Arithmetic;

/// <summary>
/// The task's programmatic outcome verifier: 1 when a solution's final answer equals the problem's reference
/// answer (both normalized), else 0, with feedback saying why. Feedback never reveals the reference answer,
/// so a refinement loop can show it to the model.
/// </summary>
public sealed class ArithmeticChecker : IVerifier
{
    private readonly IAnswerExtractor _extractor;

    /// <summary>Creates a checker.</summary>
    /// <param name="extractor">Reads answers from solutions; defaults to <see cref="ArithmeticAnswerExtractor"/>.</param>
    public ArithmeticChecker(IAnswerExtractor? extractor = null) =>
        _extractor = extractor ?? ArithmeticAnswerExtractor.Instance;

    /// <inheritdoc/>
    public VerifierKind Kind => VerifierKind.Outcome;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">When <paramref name="problem"/> has no reference answer, or one that is not an integer.</exception>
    public Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(solutions);
        cancellationToken.ThrowIfCancellationRequested();
        string reference = ReferenceOf(problem);

        var scores = new VerifierScore[solutions.Count];
        for (int i = 0; i < scores.Length; i++)
            scores[i] = Score(reference, solutions[i]);
        return Task.FromResult<IReadOnlyList<VerifierScore>>(scores);
    }

    /// <summary>Scores one solution synchronously; the checker does no I/O, so callers outside a strategy may skip the task.</summary>
    /// <exception cref="ArgumentException">When <paramref name="problem"/> has no integer reference answer.</exception>
    public VerifierScore Score(Problem problem, string solution)
    {
        ArgumentNullException.ThrowIfNull(problem);
        return Score(ReferenceOf(problem), solution);
    }

    private VerifierScore Score(string reference, string? solution)
    {
        string? answer = solution is null ? null : _extractor.Extract(solution);
        if (answer is null)
            return new VerifierScore(0, Feedback: $"No final answer found: end with a line \"{ArithmeticFormat.AnswerPrefix}<integer>\".");
        // The extractor may be a custom one that does not normalize; normalizing again is idempotent.
        string normalized = ArithmeticAnswerExtractor.Normalize(answer) ?? answer;
        return normalized == reference
            ? new VerifierScore(1, Feedback: "Correct.")
            : new VerifierScore(0, Feedback: $"Wrong answer: {normalized} is not the result.");
    }

    private static string ReferenceOf(Problem problem)
    {
        if (problem.ReferenceAnswer is null)
            throw new ArgumentException($"Problem '{problem.Id ?? problem.Prompt}' has no ReferenceAnswer to check against.", nameof(problem));
        return ArithmeticAnswerExtractor.Normalize(problem.ReferenceAnswer)
            ?? throw new ArgumentException($"Problem '{problem.Id ?? problem.Prompt}' has a ReferenceAnswer that is not an integer: '{problem.ReferenceAnswer}'.", nameof(problem));
    }
}
