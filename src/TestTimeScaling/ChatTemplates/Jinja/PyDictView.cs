namespace TestTimeScaling;

/// <summary>
/// <c>dict.keys()</c>, <c>dict.values()</c>, <c>dict.items()</c>: iterable any number of times, with a length,
/// printed as Python prints them (<c>dict_items([('a', 1)])</c>), not indexable, not JSON.
/// </summary>
internal sealed class PyDictView(string kind, Dictionary<object, object?> dict)
{
    public string Kind { get; } = kind;

    public int Count => dict.Count;

    public List<object?> Items() => Kind switch
    {
        "dict_keys" => dict.Keys.Cast<object?>().ToList(),
        "dict_values" => dict.Values.ToList(),
        _ => dict.Select(p => (object?)new object?[] { p.Key, p.Value }).ToList(),
    };
}
