namespace TestTimeScaling;

/// <summary>
/// Area under the ROC curve: the probability that a random positive scores above a random negative
/// (ties count half). The standard measure of how well a verifier separates right from wrong steps.
/// </summary>
public static class Auroc
{
    /// <summary>Computes AUROC by ranking (Mann-Whitney U), O(n log n).</summary>
    /// <exception cref="ArgumentException">Lengths differ, or one class is missing.</exception>
    public static double Compute(IReadOnlyList<double> scores, IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(scores);
        ArgumentNullException.ThrowIfNull(labels);
        if (scores.Count != labels.Count)
            throw new ArgumentException($"scores ({scores.Count}) and labels ({labels.Count}) must have the same length.", nameof(labels));
        long positives = labels.Count(l => l), negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0)
            throw new ArgumentException("AUROC needs at least one positive and one negative label.", nameof(labels));

        // Average ranks over tied scores, then U = (sum of positive ranks) - P(P+1)/2.
        var order = Enumerable.Range(0, scores.Count).OrderBy(i => scores[i]).ToArray();
        double positiveRankSum = 0;
        for (int start = 0; start < order.Length;)
        {
            int end = start;
            while (end + 1 < order.Length && scores[order[end + 1]] == scores[order[start]]) end++;
            double averageRank = (start + end) / 2.0 + 1;
            for (int i = start; i <= end; i++)
                if (labels[order[i]]) positiveRankSum += averageRank;
            start = end + 1;
        }
        return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double)positives * negatives);
    }
}
