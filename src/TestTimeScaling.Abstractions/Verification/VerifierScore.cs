namespace TestTimeScaling;

/// <summary>A verifier's judgement of one candidate solution.</summary>
/// <param name="Value">The outcome score (higher is better; checkers use 0 or 1; process verifiers aggregate their step scores).</param>
/// <param name="StepScores">One score per step for process verifiers, else null.</param>
/// <param name="Feedback">Optional text a refinement loop can show the model.</param>
public sealed record VerifierScore(double Value, IReadOnlyList<double>? StepScores = null, string? Feedback = null);
