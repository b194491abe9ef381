namespace TestTimeScaling.Samples.Scaling;

/// <summary>What one strategy at one budget did on one problem.</summary>
/// <param name="ProblemId">The held-out problem's id.</param>
/// <param name="Level">Its difficulty level (1-5).</param>
/// <param name="Reference">The correct answer.</param>
/// <param name="Answer">The strategy's answer, or null.</param>
/// <param name="Correct">Whether the answer equals the reference.</param>
/// <param name="Outcome">How the search ended.</param>
/// <param name="Candidates">Candidates the strategy considered.</param>
/// <param name="GeneratedTokens">Tokens sampled.</param>
/// <param name="PromptTokens">Prompt and prefix tokens prefilled (after cache reuse).</param>
/// <param name="ForwardPasses">Policy forward calls.</param>
/// <param name="VerifierCalls">Solutions the PRM scored.</param>
/// <param name="Seconds">Wall time of the solve, sampler and verifier together.</param>
/// <param name="CorrectCandidates">
/// How many of the candidates carry the right answer (null in files written before it was recorded): with the candidate
/// count it gives coverage, pass@k, without rerunning anything.
/// </param>
public sealed record ProblemRecord(
    string ProblemId,
    int Level,
    string Reference,
    string? Answer,
    bool Correct,
    SearchOutcome Outcome,
    int Candidates,
    long GeneratedTokens,
    long PromptTokens,
    long ForwardPasses,
    long VerifierCalls,
    double Seconds,
    int? CorrectCandidates = null);
