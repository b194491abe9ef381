namespace TestTimeScaling;

/// <summary>
/// Scores one draw of k samples the way <see cref="MajorityVote"/> and <see cref="WeightedVote"/> would vote on it,
/// averaged over the order of the draw.
/// </summary>
/// <remarks>
/// The vote breaks equal sums by the number of samples, then by first appearance. In a uniformly random draw order, the first sample that belongs to
/// one of the tied answers is equally likely to be any of their samples, so the reference wins a tie with
/// probability (its samples) / (all samples of tied answers). Crediting that probability instead of sampling an
/// order gives the same expectation with less Monte Carlo variance, and makes exact enumeration possible.
/// </remarks>
internal sealed class DrawnVote
{
    private readonly Ballot _ballot;
    private readonly int[] _counts;
    private readonly double[] _sums;

    public DrawnVote(Ballot ballot)
    {
        _ballot = ballot;
        _counts = new int[ballot.DistinctCount];
        _sums = new double[ballot.DistinctCount];
    }

    /// <summary>Probability that the vote over the drawn samples picks the reference answer.</summary>
    public double Credit(ReadOnlySpan<int> drawn)
    {
        int[] ids = _ballot.Ids;
        double[] weights = _ballot.Weights;
        foreach (int s in drawn)
        {
            int id = ids[s];
            if (id < 0) continue;
            _counts[id]++;
            _sums[id] += weights[s];
        }

        double credit = 0;
        int reference = _ballot.ReferenceId;
        if (reference >= 0 && _counts[reference] > 0)
        {
            // The winner has the largest sum, then (a weighted vote's rule; a plain majority's sums are its counts) the most samples.
            double max = double.NegativeInfinity;
            int most = 0;
            foreach (int s in drawn)
            {
                int id = ids[s];
                if (id < 0) continue;
                if (_sums[id] > max) (max, most) = (_sums[id], _counts[id]);
                else if (_sums[id] == max) most = Math.Max(most, _counts[id]);
            }
            if (_sums[reference] == max && _counts[reference] == most)
            {
                int tiedSamples = 0;
                foreach (int s in drawn)
                {
                    if (ids[s] >= 0 && _sums[ids[s]] == max && _counts[ids[s]] == most) tiedSamples++;
                }
                credit = (double)_counts[reference] / tiedSamples;
            }
        }

        // Reset only what this draw touched: k, not the number of distinct answers.
        foreach (int s in drawn)
        {
            int id = ids[s];
            if (id < 0) continue;
            _counts[id] = 0;
            _sums[id] = 0;
        }
        return credit;
    }

    /// <summary>Monte Carlo mean of <see cref="Credit"/> over random k-draws without replacement.</summary>
    public double MonteCarlo(int k, int trials, Random random)
    {
        if (_ballot.ReferenceId < 0) return 0.0;
        int n = _ballot.SampleCount;
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        double total = 0;
        for (int t = 0; t < trials; t++)
        {
            // Partial Fisher–Yates: the first k slots become a uniform draw without replacement. Continuing from the
            // previous trial's arrangement is fine; each step picks uniformly among the slots not yet fixed.
            for (int i = 0; i < k; i++)
            {
                int j = random.Next(i, n);
                (order[i], order[j]) = (order[j], order[i]);
            }
            total += Credit(order.AsSpan(0, k));
        }
        return total / trials;
    }

    /// <summary>Exact mean of <see cref="Credit"/> over every k-subset.</summary>
    public double EnumerateSubsets(int k)
    {
        if (_ballot.ReferenceId < 0) return 0.0;
        int n = _ballot.SampleCount;
        var subset = new int[k];
        for (int i = 0; i < k; i++) subset[i] = i;
        double total = 0;
        long count = 0;
        while (true)
        {
            total += Credit(subset);
            count++;
            // Advance to the next subset in lexicographic order.
            int p = k - 1;
            while (p >= 0 && subset[p] == n - k + p) p--;
            if (p < 0) break;
            subset[p]++;
            for (int q = p + 1; q < k; q++) subset[q] = subset[q - 1] + 1;
        }
        return total / count;
    }
}
