namespace TestTimeScaling;

/// <summary>
/// Proposes how many parallel samples to draw: the saturation point of the coverage model F(N) = 1 − (1 − p)^N,
/// where one more sample adds at most ε (Wang et al., "Scaling over Scaling: Exploring Test-Time Scaling Plateau in
/// Large Reasoning Models", 2025), capped by a budget.
/// </summary>
public sealed class SaturationPlanner
{
    /// <summary>Creates a planner.</summary>
    /// <param name="options">Threshold, cap and token cost; defaults when null.</param>
    /// <exception cref="ArgumentOutOfRangeException">An option is invalid.</exception>
    public SaturationPlanner(SaturationOptions? options = null)
    {
        Options = options ?? new SaturationOptions();
        Options.Validate();
    }

    /// <summary>The settings this planner uses.</summary>
    public SaturationOptions Options { get; }

    /// <summary>Plans for one problem with a known or assumed success rate.</summary>
    /// <param name="successRate">Per-sample success probability, in [0, 1]; 1 gives one sample, and so does 0 (the model
    /// says nothing helps; plan from a <see cref="PilotRun"/> to smooth a pilot without successes).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="successRate"/> is outside [0, 1].</exception>
    public SaturationPlan Plan(double successRate)
    {
        int saturation = CoverageModel.SaturationPoint(successRate, Options.ThresholdPerSample);
        int n = Math.Min(saturation, Options.MaxSamples);
        return new SaturationPlan(n, successRate, CoverageModel.Coverage(successRate, n), CoverageModel.MarginalGain(successRate, n),
            Capped: saturation > Options.MaxSamples, Tokens(n));
    }

    /// <summary>Plans for one problem from a pilot, using <see cref="PilotRun.EstimatedSuccessRate"/>.</summary>
    /// <param name="pilot">The pilot's result.</param>
    public SaturationPlan Plan(PilotRun pilot)
    {
        ArgumentNullException.ThrowIfNull(pilot);
        return Plan(pilot.EstimatedSuccessRate);
    }

    /// <summary>
    /// Plans one sample count for a set of problems: the smallest N at which the benchmark's mean coverage,
    /// mean over problems of 1 − (1 − pᵢ)^N, gains at most ε from one more sample.
    /// </summary>
    /// <remarks>
    /// Averaging the coverage curves, not the rates, matters: a mix of easy and hard problems keeps gaining long
    /// after the mean rate would say it saturated (1 − (1 − p̄)^N overstates early coverage by Jensen's inequality).
    /// The mean gain is decreasing in N, so a binary search finds the point.
    /// </remarks>
    /// <param name="pilots">One pilot per problem; at least one.</param>
    /// <exception cref="ArgumentException"><paramref name="pilots"/> is empty or holds null.</exception>
    public SaturationPlan Plan(IEnumerable<PilotRun> pilots)
    {
        ArgumentNullException.ThrowIfNull(pilots);
        var rates = pilots.Select(p => p?.EstimatedSuccessRate ?? throw new ArgumentException("pilots must not contain null.", nameof(pilots))).ToArray();
        if (rates.Length == 0) throw new ArgumentException("At least one pilot is needed.", nameof(pilots));

        double threshold = Options.ThresholdPerSample;
        int max = Options.MaxSamples;
        bool capped = MeanGain(rates, max) > threshold;
        int n = max;
        if (!capped)
        {
            int lo = 1, hi = max;
            while (lo < hi)
            {
                int mid = lo + (hi - lo) / 2;
                if (MeanGain(rates, mid) <= threshold) hi = mid;
                else lo = mid + 1;
            }
            n = lo;
        }
        return new SaturationPlan(n, rates.Average(), rates.Average(p => CoverageModel.Coverage(p, n)), MeanGain(rates, n), capped, Tokens(n));
    }

    private static double MeanGain(double[] rates, int n) => rates.Average(p => CoverageModel.MarginalGain(p, n));

    private double? Tokens(int n) => Options.TokensPerSample * n;
}
