namespace TestTimeScaling.Arithmetic;

/// <summary>A solution with one injected error: a negative example for a reward model.</summary>
/// <param name="Text">The solution text, in the task's format, ending with an answer line.</param>
/// <param name="FirstWrongStep">The index of the corrupted step; steps before it are correct, it and all after are wrong.</param>
public sealed record CorruptedSolution(string Text, int FirstWrongStep);
