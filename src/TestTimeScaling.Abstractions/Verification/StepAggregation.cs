namespace TestTimeScaling;

/// <summary>
/// How a process verifier's step scores become one outcome score (Snell et al.; "Can 1B LLM Surpass
/// 405B LLM?" compare these). "Last" trusts the final step's judgement of the whole prefix; "Min"
/// says a chain is as good as its weakest step; "Product" treats steps as independent successes.
/// </summary>
public enum StepAggregation
{
    /// <summary>The score of the last step.</summary>
    Last,
    /// <summary>The lowest step score.</summary>
    Min,
    /// <summary>The product of the step scores.</summary>
    Product,
    /// <summary>The mean step score.</summary>
    Mean,
}

/// <summary>Applies a <see cref="StepAggregation"/>.</summary>
public static class StepAggregationExtensions
{
    /// <summary>Aggregates step scores; an empty list scores 0 (nothing to trust).</summary>
    public static double Aggregate(this StepAggregation aggregation, IReadOnlyList<double> stepScores)
    {
        ArgumentNullException.ThrowIfNull(stepScores);
        if (stepScores.Count == 0) return 0;
        return aggregation switch
        {
            StepAggregation.Last => stepScores[^1],
            StepAggregation.Min => stepScores.Min(),
            StepAggregation.Product => stepScores.Aggregate(1.0, (a, b) => a * b),
            StepAggregation.Mean => stepScores.Average(),
            _ => throw new ArgumentOutOfRangeException(nameof(aggregation), aggregation, "Unknown step aggregation."),
        };
    }
}
