namespace TestTimeScaling;

/// <summary>
/// What Jinja's <c>select</c>, <c>reject</c>, <c>selectattr</c>, <c>rejectattr</c>, <c>map</c>, <c>items</c>,
/// <c>unique</c>, <c>batch</c> and <c>reverse</c> filters return: a Python generator. It is computed only when
/// iterated (so an error inside stays hidden until then), iterates once, is always true, and has no length.
/// Templates that mean a list write <c>| list</c>; this keeps the ones that do not behaving as in Python.
/// </summary>
internal sealed class JinjaGenerator(string kind, Func<IReadOnlyList<object?>> produce)
{
    private bool _consumed;

    public string Kind { get; } = kind;

    /// <summary>The items, the first time; nothing afterwards, as an exhausted Python generator.</summary>
    public IReadOnlyList<object?> Consume()
    {
        if (_consumed) return [];
        _consumed = true;
        return produce();
    }
}
