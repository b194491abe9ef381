namespace TestTimeScaling;

/// <summary>
/// Weighted maj@k: the probability that weighted voting over k samples, drawn without replacement from a
/// problem's n scored samples, picks the reference answer; the winner is the answer with the largest sum of
/// verifier scores among the draw (weighted Best-of-N, Snell et al., "Scaling LLM Test-Time Compute Optimally
/// can be More Effective than Scaling Model Parameters", 2024).
/// </summary>
/// <remarks>
/// The vote is <see cref="WeightedVote.Select(IReadOnlyList{string}, IReadOnlyList{double})"/> (negative scores weigh
/// zero). Ties (exactly equal sums) go to the answer with more samples, then to the one that appeared first in the
/// uniformly ordered draw, which credits the reference with its share of the fully tied answers' samples. Sums are compared exactly, so ties matter only for exactly representable
/// scores such as 0/1 checker outcomes.
/// </remarks>
public static class WeightedAtK
{
    /// <summary>Most k-subsets <see cref="Exact"/> will enumerate before refusing.</summary>
    public const long MaxExactSubsets = 10_000_000;

    /// <summary>Estimates weighted maj@k for one problem by resampling.</summary>
    /// <param name="answers">The n sampled answers (null where none was extracted).</param>
    /// <param name="scores">One finite score per answer, higher is better (non-negative, such as reward-model probabilities).</param>
    /// <param name="referenceAnswer">The correct answer; compared ordinally.</param>
    /// <param name="k">Votes per draw; 1 ≤ k ≤ n.</param>
    /// <param name="trials">Random draws to average; the standard error is at most 0.5/√trials.</param>
    /// <param name="seed">Seed of the draws.</param>
    /// <returns>An estimate in [0, 1].</returns>
    /// <exception cref="ArgumentException">The lists differ in length, a score is not finite, or there are no samples.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> or <paramref name="trials"/> is out of range.</exception>
    public static double Estimate(IReadOnlyList<string?> answers, IReadOnlyList<double> scores, string referenceAnswer, int k,
        int trials = MajorityAtK.DefaultTrials, int seed = 0)
    {
        SampleValidation.Answers(answers, referenceAnswer, k);
        SampleValidation.Scores(answers, scores);
        SampleValidation.Trials(trials);
        return new DrawnVote(Ballot.Encode(answers, referenceAnswer, scores)).MonteCarlo(k, trials, new Random(seed));
    }

    /// <summary>Exact weighted maj@k for one problem, by enumerating every k-subset of the samples.</summary>
    /// <param name="answers">The n sampled answers (null where none was extracted).</param>
    /// <param name="scores">One finite score per answer.</param>
    /// <param name="referenceAnswer">The correct answer; compared ordinally.</param>
    /// <param name="k">Votes per draw; 1 ≤ k ≤ n.</param>
    /// <returns>Weighted maj@k in [0, 1].</returns>
    /// <exception cref="ArgumentOutOfRangeException">C(n, k) exceeds <see cref="MaxExactSubsets"/>; use <see cref="Estimate"/>.</exception>
    public static double Exact(IReadOnlyList<string?> answers, IReadOnlyList<double> scores, string referenceAnswer, int k)
    {
        SampleValidation.Answers(answers, referenceAnswer, k);
        SampleValidation.Scores(answers, scores);
        if (StableMath.LogBinomial(answers.Count, k) > Math.Log(MaxExactSubsets))
            throw new ArgumentOutOfRangeException(nameof(k), k, $"C({answers.Count}, {k}) exceeds {MaxExactSubsets} subsets; use Estimate.");
        return new DrawnVote(Ballot.Encode(answers, referenceAnswer, scores)).EnumerateSubsets(k);
    }

    /// <summary>Mean weighted maj@k over problems; every problem needs <see cref="ProblemSamples.Scores"/>.</summary>
    /// <param name="problems">Each problem's answers, scores and reference.</param>
    /// <param name="k">Votes per draw; must not exceed any problem's sample count.</param>
    /// <param name="trials">Random draws per problem.</param>
    /// <param name="seed">Seed of one generator used for the problems in order.</param>
    /// <exception cref="ArgumentException"><paramref name="problems"/> is empty or a problem lacks scores.</exception>
    public static double Mean(IEnumerable<ProblemSamples> problems, int k, int trials = MajorityAtK.DefaultTrials, int seed = 0) =>
        PerProblem(problems, k, trials, seed).Average();

    /// <summary>Weighted maj@k of each problem, in order, for confidence intervals over problems.</summary>
    /// <param name="problems">Each problem's answers, scores and reference.</param>
    /// <param name="k">Votes per draw; must not exceed any problem's sample count.</param>
    /// <param name="trials">Random draws per problem.</param>
    /// <param name="seed">Seed of one generator used for the problems in order.</param>
    /// <exception cref="ArgumentException"><paramref name="problems"/> is empty or a problem lacks scores.</exception>
    public static double[] PerProblem(IEnumerable<ProblemSamples> problems, int k, int trials = MajorityAtK.DefaultTrials, int seed = 0)
    {
        var list = SampleValidation.Problems(problems, needScores: true);
        SampleValidation.Trials(trials);
        var random = new Random(seed);
        var values = new double[list.Count];
        for (int i = 0; i < values.Length; i++)
        {
            var p = list[i];
            SampleValidation.Answers(p.Answers, p.ReferenceAnswer, k);
            values[i] = new DrawnVote(Ballot.Encode(p.Answers, p.ReferenceAnswer, p.Scores)).MonteCarlo(k, trials, random);
        }
        return values;
    }
}
