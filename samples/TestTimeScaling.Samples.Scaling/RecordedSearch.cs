namespace TestTimeScaling.Samples.Scaling;

/// <summary>One search of a run kept for the report: the problem, every candidate with its step scores, and the trace.</summary>
/// <param name="Strategy">The strategy's catalog name.</param>
/// <param name="Budget">The budget N it ran at.</param>
/// <param name="ProblemId">The problem's id.</param>
/// <param name="Level">Its difficulty level.</param>
/// <param name="Prompt">The prompt the policy saw.</param>
/// <param name="Reference">The correct answer.</param>
/// <param name="Answer">The answer the search chose, or null.</param>
/// <param name="Correct">Whether that answer is right.</param>
/// <param name="Outcome">How the search ended.</param>
/// <param name="ChosenText">The text of the chosen candidate, or null.</param>
/// <param name="Candidates">Every candidate the search returned.</param>
/// <param name="Events">The search's own trace, round by round.</param>
public sealed record RecordedSearch(
    string Strategy,
    int Budget,
    string ProblemId,
    int Level,
    string Prompt,
    string Reference,
    string? Answer,
    bool Correct,
    SearchOutcome Outcome,
    string? ChosenText,
    IReadOnlyList<RecordedCandidate> Candidates,
    IReadOnlyList<TraceEvent> Events);

/// <summary>One candidate of a recorded search.</summary>
/// <param name="Text">The solution text after the prompt.</param>
/// <param name="Answer">Its extracted answer, or null.</param>
/// <param name="Score">The verifier's score of the whole candidate, or null.</param>
/// <param name="StepScores">The verifier's score of each step, or null.</param>
/// <param name="GeneratedTokens">Tokens generated for it.</param>
/// <param name="FinishReason">Why its last generation stopped.</param>
public sealed record RecordedCandidate(string Text, string? Answer, double? Score, IReadOnlyList<double>? StepScores, int GeneratedTokens, string FinishReason);
