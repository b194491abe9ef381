namespace TestTimeScaling;

/// <summary>
/// How a process verifier's per-step scores become one outcome score.
/// </summary>
/// <remarks>
/// Snell et al., "Scaling LLM Test-Time Compute Optimally can be More Effective than Scaling Model
/// Parameters" (2024), compare these and find the last step's score works best for PRMs trained with
/// Monte Carlo roll-out labels; min and product are the conservative choices of Lightman et al.,
/// "Let's Verify Step by Step" (2023).
/// </remarks>
public enum StepAggregation
{
    /// <summary>The score of the last step (the PRM's estimate that the whole prefix leads to a correct answer).</summary>
    Last,
    /// <summary>The lowest step score: a solution is as good as its weakest step.</summary>
    Min,
    /// <summary>The product of step scores: the probability that every step is correct, if they were independent.</summary>
    Product,
    /// <summary>The arithmetic mean of step scores.</summary>
    Mean,
}

/// <summary>Applies a <see cref="StepAggregation"/> to a list of step scores.</summary>
public static class StepAggregator
{
    /// <summary>Aggregates <paramref name="stepScores"/>; an empty list yields <paramref name="empty"/>.</summary>
    /// <param name="stepScores">One score per step, in order.</param>
    /// <param name="aggregation">How to combine them.</param>
    /// <param name="empty">The value for a solution without steps.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="aggregation"/> is not a defined value.</exception>
    public static double Aggregate(this IReadOnlyList<double> stepScores, StepAggregation aggregation, double empty = 0.0)
    {
        ArgumentNullException.ThrowIfNull(stepScores);
        if (stepScores.Count == 0) return empty;
        return aggregation switch
        {
            StepAggregation.Last => stepScores[^1],
            StepAggregation.Min => stepScores.Min(),
            StepAggregation.Product => stepScores.Aggregate(1.0, (p, s) => p * s),
            StepAggregation.Mean => stepScores.Average(),
            _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown step aggregation."),
        };
    }
}
