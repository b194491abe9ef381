using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>Picks held-out problems evenly across levels, so a small run still covers easy and hard problems alike.</summary>
public static class ProblemSelection
{
    /// <summary>
    /// <paramref name="count"/> problems of <see cref="EvaluationSplits.HeldOut"/>: the same number from each level (the
    /// lower levels take one more when the count does not divide), spread evenly within each level, in level order.
    /// </summary>
    public static IReadOnlyList<ArithmeticProblem> Evenly(int count)
    {
        var split = EvaluationSplits.HeldOut;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, split.Count);
        int levels = ArithmeticDifficulty.MaxLevel - ArithmeticDifficulty.MinLevel + 1;
        var picked = new List<ArithmeticProblem>(count);
        for (int l = 0; l < levels; l++)
        {
            var ofLevel = EvaluationSplits.OfLevel(split, ArithmeticDifficulty.MinLevel + l);
            int take = count / levels + (l < count % levels ? 1 : 0);
            // Evenly spaced indices rather than the first k, in case the split's order carries any pattern.
            for (int k = 0; k < take; k++) picked.Add(ofLevel[(int)((long)k * ofLevel.Count / take)]);
        }
        return picked;
    }
}
