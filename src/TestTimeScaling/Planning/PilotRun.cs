
namespace TestTimeScaling;

/// <summary>
/// A small pilot of k samples of a problem, reduced to a count of successes: the evidence a planner uses to
/// estimate the per-sample success rate p before committing a budget.
/// </summary>
/// <remarks>
/// At test time there is no reference answer, so "success" is a proxy chosen by the caller: samples agreeing
/// with the majority (<see cref="FromAnswers"/>, self-consistency agreement), verifier probabilities
/// (<see cref="FromScores"/>, Snell et al.'s predicted difficulty), or checker outcomes (<see cref="FromOutcomes"/>).
/// </remarks>
public sealed record PilotRun
{
    /// <summary>Creates a pilot result.</summary>
    /// <param name="samples">Pilot samples k; at least 1.</param>
    /// <param name="successes">Successes among them, in [0, k]; fractional when it is a sum of probabilities.</param>
    /// <exception cref="ArgumentOutOfRangeException">An argument is out of range.</exception>
    public PilotRun(int samples, double successes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(samples, 1);
        if (double.IsNaN(successes) || successes < 0 || successes > samples)
            throw new ArgumentOutOfRangeException(nameof(successes), successes, $"successes must be in [0, {samples}].");
        Samples = samples;
        Successes = successes;
    }

    /// <summary>Pilot samples k.</summary>
    public int Samples { get; }

    /// <summary>Successes among them.</summary>
    public double Successes { get; }

    /// <summary>The observed rate Successes / Samples.</summary>
    public double SuccessRate => Successes / Samples;

    /// <summary>
    /// The rate to plan with: the observed rate when the pilot saw any success; otherwise Laplace's rule of
    /// succession, 1 / (k + 2).
    /// </summary>
    /// <remarks>
    /// A pilot with no success does not show that p = 0, only that p is probably below about 1/k; planning with
    /// p = 0 would conclude sampling never helps. The Laplace estimate keeps that problem in the hardest tier with a
    /// finite budget. A pilot where every sample succeeded keeps p = 1, so the plan is one sample.
    /// </remarks>
    public double EstimatedSuccessRate => Successes > 0 ? SuccessRate : 1.0 / (Samples + 2);

    /// <summary>A pilot scored by a checker: one outcome per sample.</summary>
    /// <param name="outcomes">Whether each sample succeeded; at least one.</param>
    /// <exception cref="ArgumentException"><paramref name="outcomes"/> is empty.</exception>
    public static PilotRun FromOutcomes(IEnumerable<bool> outcomes)
    {
        ArgumentNullException.ThrowIfNull(outcomes);
        int samples = 0, successes = 0;
        foreach (bool ok in outcomes)
        {
            samples++;
            if (ok) successes++;
        }
        if (samples == 0) throw new ArgumentException("A pilot needs at least one sample.", nameof(outcomes));
        return new PilotRun(samples, successes);
    }

    /// <summary>
    /// A pilot scored by agreement: successes are the samples that gave the majority answer
    /// (<see cref="VoteResult.Agreement"/>), a reference-free proxy for p.
    /// </summary>
    /// <param name="answers">Extracted answers of the pilot samples (null where none); at least one.</param>
    /// <exception cref="ArgumentException"><paramref name="answers"/> is empty.</exception>
    public static PilotRun FromAnswers(IEnumerable<string?> answers)
    {
        ArgumentNullException.ThrowIfNull(answers);
        var vote = MajorityVote.Select(answers);
        if (vote.SampleCount == 0) throw new ArgumentException("A pilot needs at least one sample.", nameof(answers));
        return new PilotRun(vote.SampleCount, vote.WinnerTally?.Count ?? 0);
    }

    /// <summary>A pilot scored by a verifier: each score, a probability of correctness in [0, 1], counts as that much success.</summary>
    /// <param name="scores">Verifier scores of the pilot samples; at least one, each in [0, 1].</param>
    /// <exception cref="ArgumentException"><paramref name="scores"/> is empty or a score is outside [0, 1].</exception>
    public static PilotRun FromScores(IEnumerable<double> scores)
    {
        ArgumentNullException.ThrowIfNull(scores);
        int samples = 0;
        double sum = 0;
        foreach (double s in scores)
        {
            if (double.IsNaN(s) || s < 0 || s > 1)
                throw new ArgumentException($"Score {samples} is {s}; scores must be probabilities in [0, 1].", nameof(scores));
            samples++;
            sum += s;
        }
        if (samples == 0) throw new ArgumentException("A pilot needs at least one sample.", nameof(scores));
        return new PilotRun(samples, Math.Min(sum, samples));
    }
}
