using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// Keeps the searches of the step-level strategies (beam search, DVTS, particle filtering, MCTS when it runs; learned and perfect verifier)
/// on a few problems spread evenly over the run's list (which runs from level 1 to 5, so the traced problems span the
/// levels) at one budget, for the report; copying a finished result costs nothing next to the search.
/// </summary>
public sealed class TraceRecorder
{
    private static readonly HashSet<string> Traced = new(StringComparer.Ordinal)
    {
        "beam-search", "dvts", "particle-filtering", "beam-search-perfect", "dvts-perfect", "particle-filtering-perfect", "mcts", "mcts-perfect",
    };

    private readonly HashSet<int> _indices;
    private readonly List<RecordedSearch> _searches = [];

    /// <summary>Records <paramref name="problems"/> of the run's <paramref name="total"/> problems, evenly spread, at <paramref name="budget"/>.</summary>
    public TraceRecorder(int problems, int budget, int total)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(problems);
        ArgumentOutOfRangeException.ThrowIfNegative(total);
        Budget = budget;
        _indices = [.. Spread(Math.Min(problems, total), total)];
    }

    /// <summary>The indices of <paramref name="count"/> of <paramref name="total"/> problems: the middle of each of count equal slices.</summary>
    public static IReadOnlyList<int> Spread(int count, int total) =>
        [.. Enumerable.Range(0, count).Select(i => (int)(((2L * i + 1) * total) / (2L * count)))];

    /// <summary>The budget whose searches are kept.</summary>
    public int Budget { get; }

    /// <summary>What was kept so far, in run order.</summary>
    public IReadOnlyList<RecordedSearch> Searches => _searches;

    /// <summary>The budget to trace: the one asked for, else 4 when it runs, else the run's budget nearest to 4 (log scale).</summary>
    public static int PickBudget(int? asked, IReadOnlyList<int> budgets) =>
        asked ?? budgets.MinBy(b => Math.Abs(Math.Log(b / 4.0)));

    /// <summary>Keeps <paramref name="result"/> when it is one of the traced searches (the runner's <see cref="ScalingRunner.Solved"/> hook).</summary>
    public void Observe(StrategySpec spec, int budget, ArithmeticProblem problem, int index, SearchResult result)
    {
        if (!_indices.Contains(index) || budget != Budget || !Traced.Contains(spec.Name)) return;
        lock (_searches)
            _searches.Add(new RecordedSearch(spec.Name, budget, problem.Id, problem.Level, problem.Prompt, problem.AnswerText,
                result.Answer, result.Answer is not null && result.Answer == problem.AnswerText, result.Outcome, result.Chosen?.Text,
                [.. result.Candidates.Select(c => new RecordedCandidate(c.Text, c.Answer, Finite(c.Score?.Value),
                    c.Score?.StepScores?.Select(s => double.IsFinite(s) ? s : 0).ToList(), c.GeneratedTokens, c.FinishReason.ToString()))],
                result.Trace.Events));
    }

    // JSON has no infinities; an unscored candidate reads as having no score.
    private static double? Finite(double? x) => x is { } v && double.IsFinite(v) ? v : null;
}
