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
        ["iterable"] = (v, _) => v is string or List<object?> or object?[] or Dictionary<object, object?> or JinjaUndefined or JinjaGenerator or PyDictView,
        ["sequence"] = (v, _) => v is string or List<object?> or object?[] or Dictionary<object, object?> or JinjaUndefined,
        ["callable"] = (v, _) => v is JinjaCallable or JinjaUndefined, // Undefined defines __call__ (to fail), so Python calls it callable
        ["escaped"] = (_, _) => false,
        ["odd"] = (v, _) => PyOps.Equals(Modulo(v, 2L), 1L),
        ["even"] = (v, _) => PyOps.Equals(Modulo(v, 2L), 0L),
        ["divisibleby"] = (v, a) => PyOps.Equals(Modulo(v, a.Get(0, "num")), 0L),
        ["lower"] = (v, _) => PyStrings.IsLower(PyText.Str(v)),
        ["upper"] = (v, _) => PyStrings.IsUpper(PyText.Str(v)),
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

    // Tests that take one argument besides the value; the others take none.
    private static readonly HashSet<string> OneArgument = ["divisibleby", "sameas", "in", "eq", "ne", "lt", "le", "gt", "ge"];

    public static bool Exists(string name) => Tests.ContainsKey(Aliases.GetValueOrDefault(name, name));

    // Jinja computes value % n: numbers as numbers, a string as printf-style formatting (which fails without a %).
    private static object? Modulo(object? value, object? divisor) => value switch
    {
        string format => PyFormat.Percent(format, divisor),
        JinjaUndefined undefined => throw new JinjaTypeError(undefined.Hint),
        _ => PyArithmetic.Apply("%", value, divisor),
    };

    public static bool Run(JinjaInterpreter interpreter, string name, object? value, JinjaCallArguments arguments, int offset)
    {
        string canonical = Aliases.GetValueOrDefault(name, name);
        var test = Tests[canonical];
        int expected = OneArgument.Contains(canonical) ? 1 : 0;
        int given = arguments.Positional.Count + arguments.Keywords.Count;
        if (given != expected) throw interpreter.Error(offset, $"test '{name}' takes {expected} argument(s), got {given}");
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
