
namespace TestTimeScaling.Samples.Scaling;

/// <summary>One strategy at one budget over all problems of the run: accuracy with its interval and the mean cost.</summary>
/// <param name="Strategy">The strategy's catalog name.</param>
/// <param name="Budget">The budget N.</param>
/// <param name="Accuracy">Share of problems answered correctly, with a 95% bootstrap interval over problems.</param>
/// <param name="AccuracyByLevel">Accuracy per difficulty level.</param>
/// <param name="MeanGeneratedTokens">Mean tokens generated per problem.</param>
/// <param name="MeanPromptTokens">Mean prompt and prefix tokens prefilled per problem.</param>
/// <param name="MeanForwardPasses">Mean policy forward calls per problem.</param>
/// <param name="MeanVerifierCalls">Mean PRM-scored solutions per problem.</param>
/// <param name="WallSeconds">Wall time of the whole cell.</param>
/// <param name="Problems">The per-problem records.</param>
public sealed record CellResult(
    string Strategy,
    int Budget,
    ConfidenceInterval Accuracy,
    IReadOnlyDictionary<int, double> AccuracyByLevel,
    double MeanGeneratedTokens,
    double MeanPromptTokens,
    double MeanForwardPasses,
    double MeanVerifierCalls,
    double WallSeconds,
    IReadOnlyList<ProblemRecord> Problems)
{
    /// <summary>Summarizes the records of one cell.</summary>
    /// <param name="strategy">The strategy's name.</param>
    /// <param name="budget">The budget.</param>
    /// <param name="records">At least one record.</param>
    /// <param name="wallSeconds">Wall time of the cell.</param>
    /// <param name="seed">Seed of the bootstrap, so the interval is reproducible.</param>
    public static CellResult Summarize(string strategy, int budget, IReadOnlyList<ProblemRecord> records, double wallSeconds, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfZero(records.Count);
        var correct = records.Select(r => r.Correct ? 1.0 : 0.0).ToList();
        return new CellResult(
            strategy,
            budget,
            BootstrapInterval.Compute(correct, confidence: 0.95, resamples: 2000, seed: seed),
            records.GroupBy(r => r.Level).OrderBy(g => g.Key).ToDictionary(g => g.Key, g => g.Average(r => r.Correct ? 1.0 : 0.0)),
            records.Average(r => (double)r.GeneratedTokens),
            records.Average(r => (double)r.PromptTokens),
            records.Average(r => (double)r.ForwardPasses),
            records.Average(r => (double)r.VerifierCalls),
            wallSeconds,
            records);
    }
}
