namespace TestTimeScaling;

/// <summary>
/// Jinja's default <c>Undefined</c>: a missing variable, key or attribute. It is falsy, renders as the empty
/// string, iterates as empty and has length 0; arithmetic, calls and attribute access on it fail with
/// <see cref="Hint"/> (what was missing), as in Jinja.
/// </summary>
internal sealed class JinjaUndefined
{
    public static readonly JinjaUndefined Anonymous = new("value is undefined");

    public JinjaUndefined(string hint) => Hint = hint;

    public string Hint { get; }

    public static JinjaUndefined Variable(string name) => new($"'{name}' is undefined");

    public override string ToString() => "";
}
