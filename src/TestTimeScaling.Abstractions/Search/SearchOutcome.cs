namespace TestTimeScaling;

/// <summary>How a search ended.</summary>
public enum SearchOutcome
{
    /// <summary>It ran its course.</summary>
    Completed,
    /// <summary>It stopped because the budget was spent (or a stopping rule fired early).</summary>
    BudgetExhausted,
    /// <summary>The caller cancelled it; the result holds what was found and spent until then.</summary>
    Cancelled,
    /// <summary>No candidate yielded an answer.</summary>
    NoAnswer,
}
