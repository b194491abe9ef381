namespace TestTimeScaling.Metrics;

/// <summary>The outcome of a vote over sampled answers (<see cref="MajorityVote"/>, <see cref="WeightedVote"/>).</summary>
/// <param name="Winner">The winning answer, or null when no sample gave one.</param>
/// <param name="Tallies">Every distinct answer with its votes, in order of first appearance.</param>
/// <param name="Abstentions">Samples without an answer (null); they vote for nothing.</param>
public sealed record VoteResult(string? Winner, IReadOnlyList<AnswerTally> Tallies, int Abstentions)
{
    /// <summary>All samples, abstentions included.</summary>
    public int SampleCount => Tallies.Sum(t => t.Count) + Abstentions;

    /// <summary>The winner's tally, or null when there is no winner.</summary>
    public AnswerTally? WinnerTally => Winner is null ? null : Tallies.First(t => t.Answer == Winner);

    /// <summary>
    /// Share of all samples (abstentions included) that gave the winning answer, in [0, 1]; 0 when there is
    /// no winner. A confidence signal: self-consistency agreement is a difficulty proxy for budget planning.
    /// </summary>
    /// <remarks>Abstentions count in the denominator because a sample that produced no answer is evidence the problem is hard.</remarks>
    public double Agreement => WinnerTally is { } w && SampleCount > 0 ? (double)w.Count / SampleCount : 0.0;
}
