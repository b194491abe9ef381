
namespace TestTimeScaling.Samples.Scaling;

/// <summary>What one run of the scaling study does: which problems, strategies and budgets, and where it writes.</summary>
public sealed record ScalingOptions
{
    /// <summary>Held-out problems to solve, taken evenly across the five levels.</summary>
    public int Problems { get; init; } = 200;

    /// <summary>Strategies to run, by catalog name, in catalog order.</summary>
    public IReadOnlyList<string> Strategies { get; init; } = StrategyCatalog.DefaultNames;

    /// <summary>Budgets (samples, or rollouts for the step-level searches) to run every strategy at.</summary>
    public IReadOnlyList<int> Budgets { get; init; } = [1, 2, 4, 8, 16, 32];

    /// <summary>Base seed: each problem's sampling seed is derived from it, so a run is reproducible.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>"cpu" or "cuda".</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Where the JSON, CSV, plots and HTML report go.</summary>
    public string OutputDirectory { get; init; } = Path.Combine("out", "scaling");

    /// <summary>The folder holding arithmetic-policy and arithmetic-prm; null finds the embedded models.</summary>
    public string? ModelsDirectory { get; init; }

    /// <summary>Sampling temperature of every call.</summary>
    public double Temperature { get; init; } = 0.8;

    /// <summary>Most tokens per sampler call (a whole solution, or one step for the step-level searches).</summary>
    public int MaxNewTokens { get; init; } = 140;

    /// <summary>
    /// How the PRM's step scores become a solution's score for best-of-N and weighted best-of-N (the step-level searches
    /// rank partial solutions by the last step's score, the library's default for them).
    /// </summary>
    public StepAggregation Aggregation { get; init; } = StepAggregation.Last;

    /// <summary>How many problems, spread evenly over the run's (so over the levels), get their searches saved to traces.json (0: none).</summary>
    public int TraceProblems { get; init; } = 3;

    /// <summary>The budget whose searches are traced; null picks 4 when it runs, else the nearest budget run.</summary>
    public int? TraceBudget { get; init; }

    /// <summary>
    /// Problems solved side by side, each on its own lane (its own copy of the policy and PRM). The results do not
    /// depend on it; only the wall time does.
    /// </summary>
    /// <remarks>
    /// 2 by default, one lane per core of the machine the study is sized for. Lanes on several threads were unsafe while
    /// the engine handed libtorch TorchSharp scalars that nothing held (a collection on another thread could free one
    /// mid-call); the engine now holds every scalar it passes (tests/TestTimeScaling.Torch.Tests/Reliability), and a
    /// forced-collection test on lanes guards it.
    /// </remarks>
    public int Concurrency { get; init; } = 2;
}

/// <summary>An option names a models folder or device that cannot be used; the program prints the message and exits with code 2.</summary>
/// <param name="message">What is wrong, for the user.</param>
public sealed class OptionsException(string message) : Exception(message);
