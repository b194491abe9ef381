namespace TestTimeScaling;

/// <summary>Pulls the final answer out of a solution and normalizes it, so equal answers compare equal.</summary>
public interface IAnswerExtractor
{
    /// <summary>The normalized final answer, or null when none can be found.</summary>
    string? Extract(string solution);
}
