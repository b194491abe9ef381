namespace TestTimeScaling;

/// <summary>How a search ended.</summary>
public enum SearchOutcome
{
    /// <summary>It ran its course.</summary>
    Completed,
    /// <summary>It stopped because the budget was spent (or a stopping rule fired early).</summary>
    BudgetExhausted,
    /// <summary>
    /// The caller cancelled it. Only seen on <see cref="SearchCanceledException.Partial"/>: a cancelled search
    /// throws rather than returns.
    /// </summary>
    Cancelled,
    /// <summary>No candidate yielded an answer.</summary>
    NoAnswer,
}
