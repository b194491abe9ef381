namespace TestTimeScaling.Samples.Scaling;

/// <summary>
/// Estimates how long the rest of the study takes, from the time each finished problem took.
/// </summary>
/// <remarks>
/// <para>With several lanes a problem's "time" is the wall time since the previous problem finished, so K problems
/// solved side by side in the time of one count as a K-th each: what the cell costs the study, not one lane.</para>
/// <para>
/// A problem's cost grows with the budget N and depends on the strategy (step-level searches call the PRM every
/// step). For each strategy the estimate fits seconds per problem = a + b·N by least squares over its finished
/// problems once it has run at two budgets; with one budget it scales that budget's time by (1 + N/4) / (1 + N₀/4);
/// before a strategy has run, it uses the seconds per unit of (1 + N/4) of everything so far. (1 + N/4): a fixed part
/// per problem (prefill, bookkeeping) plus a part that grows with the rows; on the default study it is within a
/// factor of two of every cell's measured time.</para>
/// </remarks>
public sealed class StudyEstimate
{
    private readonly IReadOnlyList<(string Strategy, int Budget)> _cells;
    private readonly int _problems;
    // Finished problems: strategy -> budget -> (count, seconds).
    private readonly Dictionary<string, Dictionary<int, (int Count, double Seconds)>> _done = [];
    private int _cell;
    private int _doneInCell;

    /// <summary>An estimate for <paramref name="cells"/> in run order, each over <paramref name="problems"/> problems.</summary>
    public StudyEstimate(IReadOnlyList<(string Strategy, int Budget)> cells, int problems)
    {
        ArgumentNullException.ThrowIfNull(cells);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(problems);
        _cells = cells;
        _problems = problems;
    }

    /// <summary>Relative cost of one problem at budget <paramref name="budget"/>.</summary>
    public static double Weight(int budget) => 1 + budget / 4.0;

    /// <summary>All the weight of the study: the units the overall progress bar counts.</summary>
    public double TotalWeight => _cells.Sum(c => Weight(c.Budget)) * _problems;

    /// <summary>The weight finished so far.</summary>
    public double DoneWeight => _cells.Take(_cell).Sum(c => Weight(c.Budget)) * _problems
        + (_cell < _cells.Count ? Weight(_cells[_cell].Budget) * _doneInCell : 0);

    /// <summary>A problem of cell <paramref name="cell"/> (0-based, in run order) finished in <paramref name="seconds"/>.</summary>
    public void Record(int cell, double seconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cell);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(cell, _cells.Count);
        if (cell != _cell) { _cell = cell; _doneInCell = 0; }
        _doneInCell++;
        var (strategy, budget) = _cells[cell];
        if (!_done.TryGetValue(strategy, out var byBudget)) _done[strategy] = byBudget = [];
        var (count, total) = byBudget.GetValueOrDefault(budget);
        byBudget[budget] = (count + 1, total + seconds);
    }

    /// <summary>Time left for the whole study; null before any problem has finished.</summary>
    public TimeSpan? TimeLeft()
    {
        if (_done.Count == 0) return null;
        double seconds = 0;
        for (int c = _cell; c < _cells.Count; c++)
        {
            int left = c == _cell ? _problems - _doneInCell : _problems;
            if (left > 0) seconds += left * SecondsPerProblem(_cells[c].Strategy, _cells[c].Budget);
        }
        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>The expected seconds of one problem of <paramref name="strategy"/> at <paramref name="budget"/>.</summary>
    public double SecondsPerProblem(string strategy, int budget)
    {
        if (_done.TryGetValue(strategy, out var byBudget))
        {
            // Measured at this very budget: that is the best guess.
            if (byBudget.TryGetValue(budget, out var here)) return here.Seconds / here.Count;
            if (byBudget.Count >= 2) return Math.Max(0, Fit(byBudget, budget));
            var (b0, (n0, s0)) = byBudget.First();
            return s0 / n0 * Weight(budget) / Weight(b0);
        }
        double units = _done.Values.SelectMany(d => d).Sum(kv => kv.Value.Count * Weight(kv.Key));
        double secs = _done.Values.SelectMany(d => d).Sum(kv => kv.Value.Seconds);
        return secs / units * Weight(budget);
    }

    // Least squares of seconds per problem on N over the budgets run, weighted by problems run at each.
    private static double Fit(Dictionary<int, (int Count, double Seconds)> byBudget, int budget)
    {
        double w = 0, sx = 0, sy = 0, sxx = 0, sxy = 0;
        foreach (var (n, (count, seconds)) in byBudget)
        {
            double y = seconds / count;
            w += count; sx += count * n; sy += count * y; sxx += count * (double)n * n; sxy += count * n * y;
        }
        double slope = (w * sxy - sx * sy) / (w * sxx - sx * sx);
        double intercept = (sy - slope * sx) / w;
        return intercept + slope * budget;
    }
}
