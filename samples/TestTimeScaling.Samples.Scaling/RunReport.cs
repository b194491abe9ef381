namespace TestTimeScaling.Samples.Scaling;

/// <summary>Everything a run produced, as written to results.json.</summary>
/// <param name="Command">The command line that produced it.</param>
/// <param name="StartedUtc">When the run started.</param>
/// <param name="WallSeconds">Wall time of the whole run, model loading included.</param>
/// <param name="Completed">False when the run was interrupted and holds only part of its cells.</param>
/// <param name="Options">The options in force.</param>
/// <param name="Models">Where the policy and PRM were loaded from.</param>
/// <param name="Device">The device the models ran on.</param>
/// <param name="Highlights">The headline comparisons (see <see cref="Scaling.Highlights"/>).</param>
/// <param name="Cells">One entry per strategy and budget.</param>
public sealed record RunReport(
    string Command,
    DateTimeOffset StartedUtc,
    double WallSeconds,
    bool Completed,
    ScalingOptions Options,
    string Models,
    string Device,
    IReadOnlyList<string> Highlights,
    IReadOnlyList<CellResult> Cells);
