namespace TestTimeScaling.Training;

/// <summary>A solution with a correctness label per step: one training example for the reward model.</summary>
/// <param name="Prompt">The problem text.</param>
/// <param name="Steps">The steps, each with its trailing delimiter.</param>
/// <param name="Labels">Whether each step is correct (and every step before it).</param>
/// <param name="Source">Where it came from: "policy", "gold" or "injected".</param>
/// <param name="FirstErrorOffset">Character offset (into the concatenated steps) where the first wrong step first departs
/// from the correct one; null when every step is right.</param>
public sealed record LabeledSolution(string Prompt, IReadOnlyList<string> Steps, IReadOnlyList<bool> Labels, string Source, int? FirstErrorOffset);
