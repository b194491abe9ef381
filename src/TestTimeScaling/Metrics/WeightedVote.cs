namespace TestTimeScaling;

/// <summary>
/// Weighted majority (weighted Best-of-N): the answer with the largest sum of verifier scores over its
/// samples wins (Snell et al., "Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling
/// Model Parameters", 2024; Liu et al., "Can 1B LLM Surpass 405B LLM?", 2025).
/// </summary>
/// <remarks>
/// Scores should be non-negative (probabilities from a reward model): a sum rewards answers that are both
/// frequent and trusted, and negative scores would penalize frequency. Null answers abstain and their scores
/// are ignored. Ties (exactly equal sums) go to the answer that appeared first, as in <see cref="MajorityVote"/>.
/// </remarks>
public static class WeightedVote
{
    /// <summary>Votes over scored answers.</summary>
    /// <param name="votes">Each sample's extracted answer (null for none) and score, in sampling order.</param>
    /// <returns>The winner (null when every sample abstained); <see cref="AnswerTally.Score"/> is the sum of scores.</returns>
    /// <exception cref="ArgumentException">A score is NaN or infinite.</exception>
    public static VoteResult Select(IEnumerable<(string? Answer, double Score)> votes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        return VoteCounter.Count(votes);
    }

    /// <summary>Votes over answers and their scores given as parallel lists.</summary>
    /// <param name="answers">Extracted answers in sampling order; null for none.</param>
    /// <param name="scores">One score per answer.</param>
    /// <exception cref="ArgumentException">The lists differ in length, or a score is not finite.</exception>
    public static VoteResult Select(IReadOnlyList<string?> answers, IReadOnlyList<double> scores)
    {
        ArgumentNullException.ThrowIfNull(answers);
        ArgumentNullException.ThrowIfNull(scores);
        if (answers.Count != scores.Count)
            throw new ArgumentException($"scores has {scores.Count} entries but answers has {answers.Count}.", nameof(scores));
        for (int i = 0; i < scores.Count; i++)
        {
            if (!double.IsFinite(scores[i]))
                throw new ArgumentException($"scores[{i}] is {scores[i]}; scores must be finite.", nameof(scores));
        }
        return VoteCounter.Count(answers.Zip(scores));
    }
}
