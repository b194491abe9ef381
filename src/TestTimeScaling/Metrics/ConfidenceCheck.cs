namespace TestTimeScaling;

/// <summary>Validation of a confidence level, shared by the interval methods.</summary>
internal static class ConfidenceCheck
{
    public static void Validate(double confidence)
    {
        if (double.IsNaN(confidence) || confidence <= 0 || confidence >= 1)
            throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "confidence must be in (0, 1), such as 0.95.");
    }
}
