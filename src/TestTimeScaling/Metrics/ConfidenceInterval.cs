namespace TestTimeScaling;

/// <summary>A point estimate with a confidence interval and standard error.</summary>
/// <param name="Mean">The point estimate (the sample mean, or the observed proportion).</param>
/// <param name="Lower">Lower bound.</param>
/// <param name="Upper">Upper bound.</param>
/// <param name="StandardError">Estimated standard deviation of <paramref name="Mean"/> across re-runs of the evaluation.</param>
/// <param name="Confidence">Nominal coverage of [Lower, Upper], such as 0.95.</param>
public sealed record ConfidenceInterval(double Mean, double Lower, double Upper, double StandardError, double Confidence)
{
    /// <summary>Upper − Lower.</summary>
    public double Width => Upper - Lower;

    /// <summary>Whether <paramref name="value"/> lies in [Lower, Upper].</summary>
    /// <param name="value">The value to test.</param>
    public bool Contains(double value) => value >= Lower && value <= Upper;
}
