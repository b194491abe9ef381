namespace TestTimeScaling;

/// <summary>
/// maj@k: the probability that a majority vote over k samples, drawn without replacement from a problem's n
/// samples, picks the reference answer. The self-consistency counterpart of <see cref="PassAtK"/>, as plotted
/// against k by Brown et al., "Large Language Monkeys" (2024).
/// </summary>
/// <remarks>
/// The vote is <see cref="MajorityVote.Select"/>: null answers abstain, and ties go to the answer that
/// appeared first in the draw. Draws are in uniformly random order, so a tie that includes the reference
/// counts as the reference's share of the tied samples (see <see cref="MajorityVote"/>). Estimating from
/// n ≥ k samples, like pass@k, uses every sample rather than one vote of exactly k.
/// </remarks>
public static class MajorityAtK
{
    /// <summary>Monte Carlo trials used when none are given: the standard error is at most 0.005.</summary>
    public const int DefaultTrials = 10_000;

    /// <summary>Most vote-count outcomes <see cref="Exact"/> will enumerate before refusing.</summary>
    public const long MaxExactOutcomes = 10_000_000;

    /// <summary>Estimates maj@k for one problem by resampling.</summary>
    /// <param name="answers">The n sampled answers (null where none was extracted).</param>
    /// <param name="referenceAnswer">The correct answer; compared ordinally.</param>
    /// <param name="k">Votes per draw; 1 ≤ k ≤ n.</param>
    /// <param name="trials">Random draws to average; the standard error is at most 0.5/√trials.</param>
    /// <param name="seed">Seed of the draws: the same inputs and seed give the same estimate.</param>
    /// <returns>An estimate in [0, 1].</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <paramref name="trials"/> is out of range.</exception>
    /// <exception cref="ArgumentException"><paramref name="answers"/> is empty.</exception>
    public static double Estimate(IReadOnlyList<string?> answers, string referenceAnswer, int k, int trials = DefaultTrials, int seed = 0)
    {
        SampleValidation.Answers(answers, referenceAnswer, k);
        SampleValidation.Trials(trials);
        return EstimateWith(answers, referenceAnswer, k, trials, new Random(seed));
    }

    /// <summary>
    /// Exact maj@k for one problem: enumerates how many of the k draws each distinct answer receives (a
    /// multivariate hypergeometric), so the cost grows with the number of distinct answers, not with C(n, k).
    /// </summary>
    /// <param name="answers">The n sampled answers (null where none was extracted).</param>
    /// <param name="referenceAnswer">The correct answer; compared ordinally.</param>
    /// <param name="k">Votes per draw; 1 ≤ k ≤ n.</param>
    /// <returns>maj@k in [0, 1].</returns>
    /// <exception cref="ArgumentOutOfRangeException">More than <see cref="MaxExactOutcomes"/> outcomes would be enumerated; use <see cref="Estimate"/>.</exception>
    public static double Exact(IReadOnlyList<string?> answers, string referenceAnswer, int k)
    {
        SampleValidation.Answers(answers, referenceAnswer, k);
        var ballot = Ballot.Encode(answers, referenceAnswer, weights: null);
        if (ballot.ReferenceId < 0) return 0.0;

        int m = ballot.DistinctCount;
        var available = new int[m];
        int abstentions = 0;
        foreach (int id in ballot.Ids)
        {
            if (id < 0) abstentions++;
            else available[id]++;
        }
        // Samples still available from answer a onward (abstentions included), to skip infeasible branches.
        var availableFrom = new int[m + 1];
        availableFrom[m] = abstentions;
        for (int a = m - 1; a >= 0; a--) availableFrom[a] = availableFrom[a + 1] + available[a];

        var logChoose = new double[m][];
        for (int a = 0; a < m; a++)
        {
            logChoose[a] = new double[available[a] + 1];
            for (int x = 0; x <= available[a]; x++) logChoose[a][x] = StableMath.LogBinomial(available[a], x);
        }
        double logAll = StableMath.LogBinomial(answers.Count, k);

        var drawn = new int[m];
        long outcomes = 0;
        double total = 0;
        Recurse(0, k, 0.0);
        return Math.Clamp(total, 0.0, 1.0);

        void Recurse(int a, int remaining, double logWeight)
        {
            if (a == m)
            {
                if (++outcomes > MaxExactOutcomes)
                    throw new ArgumentOutOfRangeException(nameof(k), k, $"Exact maj@{k} would enumerate more than {MaxExactOutcomes} outcomes; use Estimate.");
                double p = Math.Exp(logWeight + StableMath.LogBinomial(abstentions, remaining) - logAll);
                total += p * Credit(drawn, ballot.ReferenceId);
                return;
            }
            int low = Math.Max(0, remaining - availableFrom[a + 1]);
            int high = Math.Min(available[a], remaining);
            for (int x = low; x <= high; x++)
            {
                drawn[a] = x;
                Recurse(a + 1, remaining - x, logWeight + logChoose[a][x]);
            }
            drawn[a] = 0;
        }
    }

    /// <summary>Mean maj@k over problems, each estimated by <see cref="Estimate"/>.</summary>
    /// <param name="problems">Each problem's answers and reference.</param>
    /// <param name="k">Votes per draw; must not exceed any problem's sample count.</param>
    /// <param name="trials">Random draws per problem.</param>
    /// <param name="seed">Seed of one generator used for the problems in order.</param>
    /// <exception cref="ArgumentException"><paramref name="problems"/> is empty or a problem is invalid.</exception>
    public static double Mean(IEnumerable<ProblemSamples> problems, int k, int trials = DefaultTrials, int seed = 0) =>
        PerProblem(problems, k, trials, seed).Average();

    /// <summary>maj@k of each problem, in order, for confidence intervals over problems.</summary>
    /// <param name="problems">Each problem's answers and reference.</param>
    /// <param name="k">Votes per draw; must not exceed any problem's sample count.</param>
    /// <param name="trials">Random draws per problem.</param>
    /// <param name="seed">Seed of one generator used for the problems in order.</param>
    /// <exception cref="ArgumentException"><paramref name="problems"/> is empty or a problem is invalid.</exception>
    public static double[] PerProblem(IEnumerable<ProblemSamples> problems, int k, int trials = DefaultTrials, int seed = 0)
    {
        var list = SampleValidation.Problems(problems, needScores: false);
        SampleValidation.Trials(trials);
        var random = new Random(seed);
        var values = new double[list.Count];
        for (int i = 0; i < values.Length; i++)
        {
            SampleValidation.Answers(list[i].Answers, list[i].ReferenceAnswer, k);
            values[i] = EstimateWith(list[i].Answers, list[i].ReferenceAnswer, k, trials, random);
        }
        return values;
    }

    private static double EstimateWith(IReadOnlyList<string?> answers, string referenceAnswer, int k, int trials, Random random) =>
        new DrawnVote(Ballot.Encode(answers, referenceAnswer, weights: null)).MonteCarlo(k, trials, random);

    /// <summary>The same credit as <see cref="DrawnVote.Credit"/>, from vote counts: the reference's share of the tied samples.</summary>
    private static double Credit(int[] drawn, int reference)
    {
        int max = 0;
        foreach (int x in drawn) max = Math.Max(max, x);
        if (max == 0 || drawn[reference] != max) return 0.0;
        int tiedSamples = 0;
        foreach (int x in drawn)
        {
            if (x == max) tiedSamples += x;
        }
        return (double)drawn[reference] / tiedSamples;
    }
}
