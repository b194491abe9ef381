namespace TestTimeScaling;

/// <summary>One solution a strategy considered.</summary>
public sealed record Candidate
{
    /// <summary>The solution text (after the prompt).</summary>
    public required string Text { get; init; }

    /// <summary>The extracted, normalized answer, or null when none could be extracted.</summary>
    public string? Answer { get; init; }

    /// <summary>The verifier's score, when one was used.</summary>
    public VerifierScore? Score { get; init; }

    /// <summary>Tokens generated for this candidate.</summary>
    public int GeneratedTokens { get; init; }

    /// <summary>Why its last generation stopped.</summary>
    public FinishReason FinishReason { get; init; }
}
