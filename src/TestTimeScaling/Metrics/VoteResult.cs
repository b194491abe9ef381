namespace TestTimeScaling;

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

    /// <summary>The winner's summed score (its vote count in a plain majority vote); 0 when nothing was voted.</summary>
    public double WinnerScore => WinnerTally?.Score ?? 0.0;

    /// <summary>Summed score over every answer that voted.</summary>
    public double TotalScore => Tallies.Sum(t => t.Score);

    /// <summary>The best score among the other answers; 0 when there is none.</summary>
    public double RunnerUpScore => Tallies.Where(t => t.Answer != Winner).Select(t => t.Score).DefaultIfEmpty(0).Max();

    /// <summary>Each answer's summed score, for traces and reports.</summary>
    public IReadOnlyDictionary<string, double> ScoresByAnswer() => Tallies.ToDictionary(t => t.Answer, t => t.Score, StringComparer.Ordinal);
}
