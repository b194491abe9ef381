namespace TestTimeScaling;

/// <summary>What a strategy found and what it cost.</summary>
public sealed record SearchResult
{
    /// <summary>The chosen final answer (normalized), or null.</summary>
    public string? Answer { get; init; }

    /// <summary>The candidate the answer came from, when there is one.</summary>
    public Candidate? Chosen { get; init; }

    /// <summary>Every candidate considered, with its scores.</summary>
    public IReadOnlyList<Candidate> Candidates { get; init; } = [];

    /// <summary>Compute spent.</summary>
    public Usage Usage { get; init; } = Usage.Zero;

    /// <summary>How the search ended.</summary>
    public SearchOutcome Outcome { get; init; }

    /// <summary>What happened, step by step.</summary>
    public SearchTrace Trace { get; init; } = new("unknown");
}
