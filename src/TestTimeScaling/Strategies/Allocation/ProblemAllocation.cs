namespace TestTimeScaling;

/// <summary>What <see cref="ComputeOptimalAllocator"/> did for one problem.</summary>
/// <param name="Problem">The problem.</param>
/// <param name="Answer">The final answer, or null.</param>
/// <param name="Level">Estimated difficulty level from the pilot (1 easiest; see <see cref="DifficultyEstimator"/>).</param>
/// <param name="PilotSuccessRate">The pilot's success proxy p that set the level.</param>
/// <param name="TokensAllotted">Tokens offered to the follow-up (<see cref="AllocationPolicy.LevelWeights"/>) or spent after
/// the pilot (<see cref="AllocationPolicy.MarginalGain"/>); 0 when the problem stopped after the pilot.</param>
/// <param name="FollowUp">Name of the follow-up strategy, or null when there was none.</param>
/// <param name="Usage">Pilot and follow-up spending together.</param>
/// <param name="Candidates">Every candidate of the pilot and the follow-up.</param>
/// <param name="Outcome">How the last phase for this problem ended.</param>
public sealed record ProblemAllocation(Problem Problem, string? Answer, int Level, double PilotSuccessRate, long TokensAllotted,
    string? FollowUp, Usage Usage, IReadOnlyList<Candidate> Candidates, SearchOutcome Outcome);

/// <summary>The result of <see cref="ComputeOptimalAllocator.SolveAllAsync"/>.</summary>
/// <param name="Problems">One entry per problem, in input order.</param>
/// <param name="Usage">Total spending; its generated tokens never exceed the total budget.</param>
public sealed record AllocationResult(IReadOnlyList<ProblemAllocation> Problems, Usage Usage)
{
    /// <summary>Total generated tokens.</summary>
    public long TotalTokens => Usage.GeneratedTokens;
}
