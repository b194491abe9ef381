namespace TestTimeScaling.Arithmetic;

/// <summary>
/// The task's perfect process verifier: each step of a (partial) solution scores 1 when it is right given the
/// lines before it and every earlier step was right, else 0 (the gold labels of <see cref="StepLabeler"/>). The
/// outcome score is the last step's, so a prefix scores 1 exactly when nothing in it is wrong yet.
/// </summary>
/// <remarks>
/// It is the reference a learned process reward model is measured against: a search under it shows what the
/// policy could reach with a verifier that never errs ("Inference Scaling fLaws": imperfect verifiers cap repeated
/// sampling), and the gap to the learned PRM shows what the PRM costs. It reads the problem from its prompt, never
/// its reference answer.
/// </remarks>
public sealed class ArithmeticStepVerifier : IVerifier
{
    /// <summary>The shared instance (the verifier has no state).</summary>
    public static ArithmeticStepVerifier Instance { get; } = new();

    /// <inheritdoc/>
    public VerifierKind Kind => VerifierKind.Process;

    /// <inheritdoc/>
    /// <exception cref="ArgumentException">The problem's prompt is not a prompt of the arithmetic task.</exception>
    public Task<IReadOnlyList<VerifierScore>> ScoreAsync(Problem problem, IReadOnlyList<string> solutions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(solutions);
        cancellationToken.ThrowIfCancellationRequested();
        ArithmeticProblem parsed;
        try { parsed = ArithmeticProblem.Parse(problem.Prompt); }
        catch (FormatException ex)
        {
            throw new ArgumentException($"Problem '{problem.Id ?? problem.Prompt}' is not an arithmetic-task prompt: {ex.Message}", nameof(problem), ex);
        }

        var scores = new VerifierScore[solutions.Count];
        for (int i = 0; i < scores.Length; i++)
        {
            string solution = solutions[i] ?? throw new ArgumentException($"Solution {i} is null.", nameof(solutions));
            double[] steps = StepLabeler.Label(parsed, solution).Select(right => right ? 1.0 : 0.0).ToArray();
            scores[i] = new VerifierScore(steps.Length == 0 ? 0.0 : steps[^1], steps);
        }
        return Task.FromResult<IReadOnlyList<VerifierScore>>(scores);
    }
}
