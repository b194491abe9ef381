namespace TestTimeScaling;

/// <summary>A task to solve.</summary>
/// <param name="Prompt">The text given to the model.</param>
/// <param name="Id">An identifier for reports and traces.</param>
/// <param name="ReferenceAnswer">The known answer, for programmatic checkers and evaluation; strategies never read it.</param>
public sealed record Problem(string Prompt, string? Id = null, string? ReferenceAnswer = null);
