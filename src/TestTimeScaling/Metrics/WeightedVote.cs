namespace TestTimeScaling;

/// <summary>
/// Weighted majority (weighted Best-of-N): the answer with the largest sum of verifier scores over its
/// samples wins (Snell et al., "Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling
/// Model Parameters", 2024; Liu et al., "Can 1B LLM Surpass 405B LLM?", 2025).
/// </summary>
/// <remarks>
/// Scores must be finite (NaN or infinity is an <see cref="ArgumentException"/>; strategies turn a verifier's
/// non-finite score into a <see cref="VerifierException"/> before voting). A negative score counts as a vote of weight
/// zero: the verifier rejects that sample, so it adds nothing to its answer, but it cannot take support away
/// from it either, so an answer can never win because its rivals' samples were scored below zero. Equal sums
/// (including all zero) go to the answer with more samples, then to the one that appeared first; an answer with
/// fewer samples therefore wins only with a strictly larger sum of positive scores. Null answers abstain and
/// their scores are ignored.
/// </remarks>
public static class WeightedVote
{
    /// <summary>Votes over scored answers.</summary>
    /// <param name="votes">Each sample's extracted answer (null for none) and score, in sampling order.</param>
    /// <returns>The winner (null when every sample abstained); <see cref="AnswerTally.Score"/> is the sum of weights (negative scores count zero).</returns>
    /// <exception cref="ArgumentException">A score is NaN or infinite.</exception>
    public static VoteResult Select(IEnumerable<(string? Answer, double Score)> votes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        return VoteCounter.Count(votes.Select(v => (v.Answer, Weight(v.Score))), tiesToMoreVotes: true);
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
        return Select(answers.Zip(scores));
    }

    /// <summary>The weight a score carries in the vote: the score, or zero when it is negative; NaN and infinities pass through to be refused.</summary>
    public static double Weight(double score) => score < 0 && double.IsFinite(score) ? 0.0 : score;
}
