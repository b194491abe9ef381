
namespace TestTimeScaling.Tests.Metrics;

/// <summary>
/// The definition of maj@k and weighted maj@k, by brute force: every ordered draw of k samples without
/// replacement, each voted on by the public vote helpers with their first-appearance tie rule.
/// </summary>
internal static class VoteOracle
{
    public static double Majority(IReadOnlyList<string?> answers, string reference, int k) =>
        Average(answers.Count, k, draw => MajorityVote.Select(draw.Select(i => answers[i])).Winner == reference);

    public static double Weighted(IReadOnlyList<string?> answers, IReadOnlyList<double> scores, string reference, int k) =>
        Average(answers.Count, k, draw => WeightedVote.Select(draw.Select(i => (answers[i], scores[i]))).Winner == reference);

    private static double Average(int n, int k, Func<int[], bool> wins)
    {
        int total = 0, hits = 0;
        var draw = new int[k];
        var used = new bool[n];
        Recurse(0);
        return (double)hits / total;

        void Recurse(int position)
        {
            if (position == k)
            {
                total++;
                if (wins(draw)) hits++;
                return;
            }
            for (int i = 0; i < n; i++)
            {
                if (used[i]) continue;
                used[i] = true;
                draw[position] = i;
                Recurse(position + 1);
                used[i] = false;
            }
        }
    }
}
