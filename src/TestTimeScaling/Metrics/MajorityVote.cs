namespace TestTimeScaling;

/// <summary>
/// Self-consistency: the most frequent answer among samples wins (Wang et al., "Self-Consistency Improves
/// Chain of Thought Reasoning in Language Models", 2022; "When To Solve, When To Verify", 2025).
/// </summary>
/// <remarks>
/// <para>Null answers (nothing could be extracted) abstain. Answers compare ordinally: normalize them first
/// (an <see cref="IAnswerExtractor"/> does).</para>
/// <para>Tie rule: among answers with the most votes, the one that appeared first in the sequence wins.
/// Samples are exchangeable, so this is a uniformly random tie-break in distribution, with no bias toward
/// particular strings (an ordinal rule would favour, say, "10" over "9"). <see cref="MajorityAtK"/> uses
/// the same rule, so a strategy's vote and its evaluation agree.</para>
/// </remarks>
public static class MajorityVote
{
    /// <summary>Votes over sampled answers.</summary>
    /// <param name="answers">Extracted answers in sampling order; null for none.</param>
    /// <returns>The winner (null when every sample abstained) and every answer's count; <see cref="AnswerTally.Score"/> equals the count.</returns>
    public static VoteResult Select(IEnumerable<string?> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        return VoteCounter.Count(answers.Select(a => (a, 1.0)));
    }
}
