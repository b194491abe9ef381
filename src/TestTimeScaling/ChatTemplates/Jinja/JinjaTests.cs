namespace TestTimeScaling;

/// <summary>The tests of <c>value is name</c>, with Jinja's meaning (Python types: a bool is a number, a dict a sequence).</summary>
internal static class JinjaTests
{
    private static readonly Dictionary<string, Func<object?, JinjaCallArguments, bool>> Tests = new(StringComparer.Ordinal)
    {
        ["defined"] = (v, _) => v is not JinjaUndefined,
        ["undefined"] = (v, _) => v is JinjaUndefined,
        ["none"] = (v, _) => v is null,
        ["boolean"] = (v, _) => v is bool,
        ["true"] = (v, _) => v is true,
        ["false"] = (v, _) => v is false,
        ["integer"] = (v, _) => v is long,
        ["float"] = (v, _) => v is double,
        ["number"] = (v, _) => v is long or double or bool,
        ["string"] = (v, _) => v is string,
        ["mapping"] = (v, _) => v is Dictionary<object, object?>,
        ["iterable"] = (v, _) => v is string or List<object?> or object?[] or Dictionary<object, object?> or JinjaUndefined,
        ["sequence"] = (v, _) => v is string or List<object?> or object?[] or Dictionary<object, object?> or JinjaUndefined,
        ["callable"] = (v, _) => v is JinjaCallable,
        ["escaped"] = (_, _) => false,
        ["odd"] = (v, _) => PyOps.ToLong(v) % 2 != 0,
        ["even"] = (v, _) => PyOps.ToLong(v) % 2 == 0,
        ["divisibleby"] = (v, a) => PyOps.ToLong(v) % PyOps.ToLong(a.Get(0, "num")) == 0,
        ["lower"] = (v, _) => v is string s && s.Any(char.IsLetter) && !s.Any(char.IsUpper),
        ["upper"] = (v, _) => v is string s && s.Any(char.IsLetter) && !s.Any(char.IsLower),
        ["sameas"] = (v, a) => SameAs(v, a.Get(0, "other")),
        ["in"] = (v, a) => PyOps.Contains(a.Get(0, "seq"), v),
        ["eq"] = (v, a) => PyOps.Equals(v, a.Get(0, "other")),
        ["ne"] = (v, a) => !PyOps.Equals(v, a.Get(0, "other")),
        ["lt"] = (v, a) => PyOps.Compare(v, a.Get(0, "other"), "<") < 0,
        ["le"] = (v, a) => PyOps.Compare(v, a.Get(0, "other"), "<=") <= 0,
        ["gt"] = (v, a) => PyOps.Compare(v, a.Get(0, "other"), ">") > 0,
        ["ge"] = (v, a) => PyOps.Compare(v, a.Get(0, "other"), ">=") >= 0,
        ["filter"] = (v, _) => v is string name && JinjaFilters.Exists(name),
        ["test"] = (v, _) => v is string name && Exists(name),
    };

    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal)
    {
        ["=="] = "eq", ["equalto"] = "eq", ["!="] = "ne", ["<"] = "lt", ["lessthan"] = "lt", ["<="] = "le",
        [">"] = "gt", ["greaterthan"] = "gt", [">="] = "ge",
    };

    public static bool Exists(string name) => Tests.ContainsKey(Aliases.GetValueOrDefault(name, name));

    public static bool Run(JinjaInterpreter interpreter, string name, object? value, JinjaCallArguments arguments, int offset)
    {
        var test = Tests[Aliases.GetValueOrDefault(name, name)];
        try
        {
            return test(value, arguments);
        }
        catch (JinjaTypeError ex)
        {
            throw interpreter.Error(offset, $"test '{name}': {ex.Message}");
        }
    }

    // Python "is": identity; small ints, None, bools and equal strings compare by value in practice.
    private static bool SameAs(object? a, object? b) => (a, b) switch
    {
        (null, null) => true,
        (bool x, bool y) => x == y,
        (long x, long y) => x == y,
        (string x, string y) => x == y,
        _ => ReferenceEquals(a, b),
    };
}
