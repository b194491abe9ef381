namespace TestTimeScaling;

/// <summary>What a verifier judges.</summary>
public enum VerifierKind
{
    /// <summary>One score for the whole solution (outcome reward model, answer checker, unit tests).</summary>
    Outcome,
    /// <summary>One score per step (process reward model); also yields an aggregated outcome score.</summary>
    Process,
}
