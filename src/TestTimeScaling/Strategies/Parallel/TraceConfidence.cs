namespace TestTimeScaling;

/// <summary>Which summary of a trace's token confidences DeepConf ranks and filters by.</summary>
public enum ConfidenceMeasure
{
    /// <summary>The lowest group confidence over all sliding windows (the paper's "lowest group confidence", its choice online).</summary>
    LowestGroup,
    /// <summary>The confidence of the last window (the paper's "tail confidence").</summary>
    Tail,
    /// <summary>The confidence of the whole trace (the paper's "average trace confidence").</summary>
    Average,
}

/// <summary>
/// Confidence of a sampled trace from its own token log-probabilities, as in DeepConf (Fu et al., "Deep Think with
/// Confidence", 2025).
/// </summary>
/// <remarks>
/// The paper's token confidence is the negative mean log-probability of the top-k candidate tokens at a position,
/// which is high when the distribution is peaked. Samplers here report only the chosen token's log-probability, so
/// this uses that instead: the confidence of a group of tokens is the geometric-mean probability of the chosen
/// tokens, exp(mean log p), in (0, 1]. It ranks windows the same way as the mean chosen-token log-probability and
/// is positive, so it can weight votes. It is an approximation of the paper's measure, not the same number: a
/// peaked distribution whose sampled token was unlikely scores low here. A trace without log-probabilities has
/// confidence 1 (all traces tie, and the vote is a plain majority).
/// </remarks>
public static class TraceConfidence
{
    /// <summary>The geometric-mean probability of <paramref name="logprobs"/>[start, start + count).</summary>
    /// <param name="logprobs">Chosen-token log-probabilities.</param>
    /// <param name="start">First token of the group.</param>
    /// <param name="count">Tokens in the group.</param>
    public static double Group(IReadOnlyList<float> logprobs, int start, int count)
    {
        if (count <= 0) return 1.0;
        double sum = 0;
        for (int i = start; i < start + count; i++) sum += logprobs[i];
        return Math.Exp(sum / count);
    }

    /// <summary>
    /// The lowest confidence over the windows of <paramref name="window"/> tokens (a trace shorter than the window is
    /// one group). Computed with a running sum: one pass.
    /// </summary>
    /// <param name="logprobs">Chosen-token log-probabilities.</param>
    /// <param name="window">Group size n in tokens.</param>
    public static double LowestGroup(IReadOnlyList<float> logprobs, int window)
    {
        if (logprobs.Count == 0) return 1.0;
        if (logprobs.Count <= window) return Group(logprobs, 0, logprobs.Count);
        double sum = 0;
        for (int i = 0; i < window; i++) sum += logprobs[i];
        double lowest = sum;
        for (int i = window; i < logprobs.Count; i++)
        {
            sum += logprobs[i] - logprobs[i - window];
            lowest = Math.Min(lowest, sum);
        }
        return Math.Exp(lowest / window);
    }

    /// <summary>The trace's confidence under <paramref name="measure"/>.</summary>
    /// <param name="logprobs">Chosen-token log-probabilities, or null when the sampler reported none.</param>
    /// <param name="window">Group size n in tokens.</param>
    /// <param name="measure">Which summary.</param>
    public static double Of(IReadOnlyList<float>? logprobs, int window, ConfidenceMeasure measure)
    {
        if (logprobs is null || logprobs.Count == 0) return 1.0;
        return measure switch
        {
            ConfidenceMeasure.LowestGroup => LowestGroup(logprobs, window),
            ConfidenceMeasure.Tail => Group(logprobs, Math.Max(0, logprobs.Count - window), Math.Min(window, logprobs.Count)),
            _ => Group(logprobs, 0, logprobs.Count),
        };
    }

    /// <summary>The <paramref name="percent"/>-th percentile of <paramref name="values"/> (linear interpolation between order statistics).</summary>
    /// <param name="values">The values.</param>
    /// <param name="percent">In [0, 100].</param>
    public static double Percentile(IReadOnlyList<double> values, double percent)
    {
        if (values.Count == 0) return 0;
        var sorted = values.Order().ToArray();
        double rank = Math.Clamp(percent, 0, 100) / 100.0 * (sorted.Length - 1);
        int lo = (int)Math.Floor(rank), hi = (int)Math.Ceiling(rank);
        return sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo);
    }
}
