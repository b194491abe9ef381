namespace TestTimeScaling;

/// <summary>
/// A problem's samples recoded as small integers, so resampling a vote thousands of times touches arrays,
/// not strings. Distinct answers get ids in first-appearance order; null answers get −1.
/// </summary>
internal sealed class Ballot
{
    private Ballot(int[] ids, double[] weights, int distinctCount, int referenceId)
    {
        Ids = ids;
        Weights = weights;
        DistinctCount = distinctCount;
        ReferenceId = referenceId;
    }

    /// <summary>Answer id of each sample; −1 for an abstention.</summary>
    public int[] Ids { get; }

    /// <summary>Vote weight of each sample (1 for a plain majority vote; a score, negative ones counted as zero, for a weighted vote).</summary>
    public double[] Weights { get; }

    /// <summary>Number of distinct non-null answers.</summary>
    public int DistinctCount { get; }

    /// <summary>Id of the reference answer, or −1 when no sample gave it.</summary>
    public int ReferenceId { get; }

    public int SampleCount => Ids.Length;

    public static Ballot Encode(IReadOnlyList<string?> answers, string referenceAnswer, IReadOnlyList<double>? weights)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        var ids = new int[answers.Count];
        var w = new double[answers.Count];
        for (int i = 0; i < ids.Length; i++)
        {
            w[i] = weights is null ? 1.0 : WeightedVote.Weight(weights[i]);
            string? a = answers[i];
            if (a is null)
            {
                ids[i] = -1;
                continue;
            }
            if (!index.TryGetValue(a, out int id))
            {
                id = index.Count;
                index[a] = id;
            }
            ids[i] = id;
        }
        int referenceId = index.TryGetValue(referenceAnswer, out int r) ? r : -1;
        return new Ballot(ids, w, index.Count, referenceId);
    }
}
