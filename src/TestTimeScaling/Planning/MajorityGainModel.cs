namespace TestTimeScaling;

/// <summary>
/// How much a few more samples are expected to improve a majority vote, given the vote so far: the value of
/// information that <see cref="ComputeOptimalAllocator"/> uses to spend tokens where they pay most.
/// </summary>
/// <remarks>
/// <para>Model: the problem's answers follow an unknown categorical distribution over the answers seen so far, "no
/// answer", and answers not seen yet; its posterior given the counts is Dirichlet(count + α) (α = <see cref="Prior"/>
/// per category, the unseen answers together one category of weight α). The answer the model gives most often (the
/// mode) is taken to be right with probability equal to its share: a peaked distribution is usually peaked on the
/// right answer, a diffuse one (the model guessing) rarely is, so hopeless problems are worth little. The value
/// after m more samples is V(m) = E[share(mode) · P(the majority of all samples is the mode)]; ties split the win
/// evenly (the vote's first-seen tie rule is a fair coin in distribution). When the unseen category outweighs every
/// seen answer the mode is unseen and the value is 0.</para>
/// <para>V is estimated by Monte Carlo with common random numbers (one posterior draw carries one future sequence
/// of m samples for every m), from a caller-given seed, so the estimate is reproducible. A single extra sample often
/// cannot change a vote (3 against 1 stays 3 against 2), so the gain per sample is the best over a lookahead of
/// 1 … <see cref="Lookahead"/> samples: max_m (V(m) − V(0)) / m.</para>
/// </remarks>
public sealed class MajorityGainModel
{
    /// <summary>Creates a model.</summary>
    /// <param name="lookahead">Most future samples considered at once; positive.</param>
    /// <param name="draws">Monte Carlo posterior draws per estimate; at least 100.</param>
    /// <param name="prior">Dirichlet pseudo-count α per category; positive and finite.</param>
    public MajorityGainModel(int lookahead = 4, int draws = 2000, double prior = 0.5)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(lookahead);
        ArgumentOutOfRangeException.ThrowIfLessThan(draws, 100);
        if (!double.IsFinite(prior) || prior <= 0) throw new ArgumentOutOfRangeException(nameof(prior), prior, "prior must be positive and finite.");
        Lookahead = lookahead;
        Draws = draws;
        Prior = prior;
    }

    /// <summary>Most future samples considered at once.</summary>
    public int Lookahead { get; }

    /// <summary>Monte Carlo draws per estimate.</summary>
    public int Draws { get; }

    /// <summary>Dirichlet pseudo-count per category.</summary>
    public double Prior { get; }

    /// <summary>V(0) … V(<see cref="Lookahead"/>): the expected value of the vote after m more samples.</summary>
    /// <param name="answerCounts">Votes per distinct answer seen so far (each non-negative).</param>
    /// <param name="noAnswer">Samples without an answer; non-negative.</param>
    /// <param name="seed">Seed of the Monte Carlo estimate.</param>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative.</exception>
    public double[] Values(IReadOnlyList<int> answerCounts, int noAnswer, int seed)
    {
        ArgumentNullException.ThrowIfNull(answerCounts);
        ArgumentOutOfRangeException.ThrowIfNegative(noAnswer);
        for (int i = 0; i < answerCounts.Count; i++)
            if (answerCounts[i] < 0) throw new ArgumentOutOfRangeException(nameof(answerCounts), answerCounts[i], $"answerCounts[{i}] is negative.");
        var values = new double[Lookahead + 1];
        int k = answerCounts.Count;
        if (k == 0) return values;

        var random = new Random(seed);
        var p = new double[k + 2]; // seen answers, then "no answer", then the unseen answers together
        var counts = new int[k];
        for (int t = 0; t < Draws; t++)
        {
            double sum = 0;
            for (int a = 0; a < k; a++) sum += p[a] = Gamma(random, answerCounts[a] + Prior);
            sum += p[k] = Gamma(random, noAnswer + Prior);
            sum += p[k + 1] = Gamma(random, Prior);
            int mode = 0;
            for (int a = 1; a < k; a++) if (p[a] > p[mode]) mode = a;
            if (p[k + 1] > p[mode]) continue; // the right answer has not been seen; more votes cannot find it here
            double weight = p[mode] / sum;
            for (int a = 0; a < k; a++) counts[a] = answerCounts[a];
            values[0] += weight * WinShare(counts, mode);
            for (int m = 1; m <= Lookahead; m++)
            {
                int next = Categorical(random, p, sum);
                if (next < k) counts[next]++; // no answer, or a new one (a singleton that cannot lead), changes no tally here
                values[m] += weight * WinShare(counts, mode);
            }
        }
        for (int m = 0; m <= Lookahead; m++) values[m] /= Draws;
        return values;
    }

    /// <summary>The best expected gain per extra sample and the number of samples that achieves it.</summary>
    /// <param name="answerCounts">Votes per distinct answer seen so far.</param>
    /// <param name="noAnswer">Samples without an answer.</param>
    /// <param name="seed">Seed of the Monte Carlo estimate.</param>
    /// <returns>max_m (V(m) − V(0)) / m and the smallest m reaching it (1 when every gain is zero or negative).</returns>
    public (double GainPerSample, int Samples) BestGain(IReadOnlyList<int> answerCounts, int noAnswer, int seed)
    {
        var v = Values(answerCounts, noAnswer, seed);
        double best = double.NegativeInfinity;
        int samples = 1;
        for (int m = 1; m <= Lookahead; m++)
        {
            double g = (v[m] - v[0]) / m;
            if (g > best + 1e-12) { best = g; samples = m; }
        }
        return (best, samples);
    }

    // 1 / (number of leaders) when the mode is among the leaders of the tally, else 0.
    private static double WinShare(int[] counts, int mode)
    {
        int max = 0, leaders = 0;
        foreach (int c in counts)
        {
            if (c > max) { max = c; leaders = 1; }
            else if (c == max) leaders++;
        }
        return max > 0 && counts[mode] == max ? 1.0 / leaders : 0.0;
    }

    private static int Categorical(Random random, double[] p, double sum)
    {
        double u = random.NextDouble() * sum;
        for (int i = 0; i < p.Length - 1; i++)
        {
            u -= p[i];
            if (u < 0) return i;
        }
        return p.Length - 1;
    }

    // Marsaglia and Tsang (2000) for shape ≥ 1; shape < 1 by Gamma(shape + 1) · U^(1/shape).
    private static double Gamma(Random random, double shape)
    {
        if (shape < 1) return Gamma(random, shape + 1) * Math.Pow(1 - random.NextDouble(), 1 / shape);
        double d = shape - 1.0 / 3, c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = Normal(random);
                v = 1 + c * x;
            } while (v <= 0);
            v = v * v * v;
            double u = 1 - random.NextDouble();
            if (Math.Log(u) < 0.5 * x * x + d - d * v + d * Math.Log(v)) return d * v;
        }
    }

    private static double Normal(Random random)
    {
        double u1 = 1 - random.NextDouble(), u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
