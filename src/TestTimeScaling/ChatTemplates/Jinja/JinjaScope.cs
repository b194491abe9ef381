namespace TestTimeScaling;

/// <summary>
/// A frame of variables. Each for-loop iteration, macro call and <c>with</c> body gets a child scope, so a
/// <c>set</c> inside it does not leak out, as in Jinja (which is why templates use <c>namespace()</c>).
/// </summary>
internal sealed class JinjaScope(JinjaScope? parent)
{
    private readonly JinjaScope? _parent = parent;
    private readonly Dictionary<string, object?> _variables = new(StringComparer.Ordinal);

    public bool TryGet(string name, out object? value)
    {
        for (JinjaScope? scope = this; scope is not null; scope = scope._parent)
        {
            if (scope._variables.TryGetValue(name, out value)) return true;
        }
        value = null;
        return false;
    }

    public void Set(string name, object? value) => _variables[name] = value;
}
