namespace TestTimeScaling;

/// <summary>What a sampler returns: the completions, in request order (prefix-major), and what they cost.</summary>
/// <param name="Completions">Row i continues prefix i / N.</param>
/// <param name="Usage">Compute spent by this call.</param>
public sealed record SampleResult(IReadOnlyList<Completion> Completions, Usage Usage);
