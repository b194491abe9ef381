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

    /// <summary>Appends every event of an inner strategy's trace, tagged with its name.</summary>
    public void AddInner(SearchTrace inner)
    {
        foreach (var e in inner.Events) Add($"{inner.Strategy}/{e.Kind}", e.Message, e.Values);
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
/// <param name="Kind">A short tag such as "sample", "score", "select", "resample".</param>
/// <param name="Message">What happened, in words.</param>
/// <param name="Values">Named figures (scores, weights, effective sample size).</param>
public sealed record TraceEvent(int Index, string Kind, string Message, IReadOnlyDictionary<string, double>? Values);
