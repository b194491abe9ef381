namespace TestTimeScaling;

/// <summary>The outcome of a vote over answers.</summary>
/// <param name="Answer">The winning answer, or null when no vote had an answer.</param>
/// <param name="Weight">Votes (or summed weight) for the winner.</param>
/// <param name="TotalWeight">Votes (or summed weight) over all non-null answers.</param>
/// <param name="Tally">Every distinct answer with its votes or weight, in order of first occurrence.</param>
public sealed record VoteResult(string? Answer, double Weight, double TotalWeight, IReadOnlyList<KeyValuePair<string, double>> Tally)
{
    /// <summary>The winner's share of the total, in [0, 1]; 0 when nothing was voted.</summary>
    public double Share => TotalWeight > 0 ? Weight / TotalWeight : 0;

    /// <summary>The runner-up's votes or weight, 0 when there is none.</summary>
    public double RunnerUpWeight => Tally.Where(t => t.Key != Answer).Select(t => t.Value).DefaultIfEmpty(0).Max();
}

/// <summary>
/// Majority and weighted votes over extracted answers.
/// </summary>
/// <remarks>
/// Majority voting is self-consistency (Wang et al. 2023, "Self-Consistency Improves Chain of Thought
/// Reasoning in Language Models"); summing verifier scores per answer is weighted Best-of-N
/// (Li et al. 2023; Beeching et al. 2024). Null answers are excluded, answers compare by ordinal
/// equality (normalize them first), and ties go to the tied answer that occurred first, so a vote is
/// deterministic for a given order of inputs.
/// </remarks>
public static class AnswerVote
{
    /// <summary>The most frequent non-null answer.</summary>
    public static VoteResult Majority(IEnumerable<string?> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        return Weighted(answers.Select(a => (a, 1.0)));
    }

    /// <summary>The non-null answer whose weights sum highest; NaN weights are rejected, negative ones count as given.</summary>
    /// <exception cref="ArgumentException">A weight is NaN.</exception>
    public static VoteResult Weighted(IEnumerable<(string? Answer, double Weight)> votes)
    {
        ArgumentNullException.ThrowIfNull(votes);
        var order = new List<string>();
        var sums = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (answer, weight) in votes)
        {
            if (answer is null) continue;
            if (double.IsNaN(weight)) throw new ArgumentException($"The weight for answer '{answer}' is NaN.", nameof(votes));
            if (sums.TryGetValue(answer, out var sum)) sums[answer] = sum + weight;
            else { sums[answer] = weight; order.Add(answer); }
        }
        string? winner = null;
        double best = double.NegativeInfinity;
        // Strictly greater: the earliest answer keeps a tie.
        foreach (var a in order)
            if (sums[a] > best) { best = sums[a]; winner = a; }
        var tally = order.Select(a => new KeyValuePair<string, double>(a, sums[a])).ToList();
        return new VoteResult(winner, winner is null ? 0 : best, tally.Sum(t => t.Value), tally);
    }
}
