using System.Text.Json;
using System.Text.Json.Serialization;

namespace TestTimeScaling;

/// <summary>A record of a search's decisions, exportable as JSON for inspection.</summary>
/// <param name="Strategy">The strategy that wrote it.</param>
public sealed record SearchTrace(string Strategy)
{
    private readonly List<TraceEvent> _events = [];

    /// <summary>Events in the order they happened.</summary>
    public IReadOnlyList<TraceEvent> Events => _events;

    /// <summary>Appends an event.</summary>
    public void Add(string kind, string message, IReadOnlyDictionary<string, double>? values = null) =>
        _events.Add(new TraceEvent(_events.Count, kind, message, values));

    /// <summary>The <see cref="TraceEvent.Kind"/> of a candidate the search dropped (<see cref="AddPruned"/>).</summary>
    public const string PrunedKind = "pruned";

    /// <summary>
    /// Appends a candidate the search dropped before the end (a beam ranked below the kept ones, a subtree's losing
    /// sibling, a particle resampled away, a node never expanded), with its text, so a reader can see what was not
    /// kept and why.
    /// </summary>
    /// <param name="reason">Why it was dropped, in words.</param>
    /// <param name="text">The partial solution's text (after the prompt).</param>
    /// <param name="values">Its figures (score, depth, tokens).</param>
    public void AddPruned(string reason, string text, IReadOnlyDictionary<string, double>? values = null)
    {
        ArgumentNullException.ThrowIfNull(reason);
        ArgumentNullException.ThrowIfNull(text);
        _events.Add(new TraceEvent(_events.Count, PrunedKind, reason, values) { Text = text });
    }

    /// <summary>Appends every event of an inner strategy's trace, tagged with its name.</summary>
    public void AddInner(SearchTrace inner)
    {
        ArgumentNullException.ThrowIfNull(inner);
        foreach (var e in inner.Events) _events.Add(new TraceEvent(_events.Count, $"{inner.Strategy}/{e.Kind}", e.Message, e.Values) { Text = e.Text });
    }

    /// <summary>The trace as indented JSON.</summary>
    public string ToJson() => JsonSerializer.Serialize(new { strategy = Strategy, events = _events }, JsonOptions);

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}

/// <summary>One step of a search.</summary>
/// <param name="Index">Position in the trace.</param>
/// <param name="Kind">A short tag such as "sample", "score", "select", "resample", <see cref="SearchTrace.PrunedKind"/>.</param>
/// <param name="Message">What happened, in words.</param>
/// <param name="Values">Named figures (scores, weights, effective sample size).</param>
public sealed record TraceEvent(int Index, string Kind, string Message, IReadOnlyDictionary<string, double>? Values)
{
    /// <summary>The text the event is about (a dropped candidate's partial solution), or null.</summary>
    public string? Text { get; init; }

    /// <summary>Whether the event reports a dropped candidate (its kind is <see cref="SearchTrace.PrunedKind"/>, or ends with "/" and it for an inner strategy's).</summary>
    [JsonIgnore]
    public bool IsPruned => Text is not null && (Kind == SearchTrace.PrunedKind || Kind.EndsWith("/" + SearchTrace.PrunedKind, StringComparison.Ordinal));
}
