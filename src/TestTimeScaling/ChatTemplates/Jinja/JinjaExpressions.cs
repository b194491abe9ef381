namespace TestTimeScaling;

/// <summary>An expression of the template's syntax tree; <see cref="Offset"/> locates it for messages.</summary>
internal abstract record JinjaExpr(int Offset);

internal sealed record LiteralExpr(int Offset, object? Value) : JinjaExpr(Offset);

internal sealed record NameExpr(int Offset, string Name) : JinjaExpr(Offset);

internal sealed record ListExpr(int Offset, IReadOnlyList<JinjaExpr> Items) : JinjaExpr(Offset);

internal sealed record TupleExpr(int Offset, IReadOnlyList<JinjaExpr> Items) : JinjaExpr(Offset);

internal sealed record DictExpr(int Offset, IReadOnlyList<(JinjaExpr Key, JinjaExpr Value)> Pairs) : JinjaExpr(Offset);

/// <summary><c>obj.name</c>: Jinja tries the attribute, then the item.</summary>
internal sealed record GetAttrExpr(int Offset, JinjaExpr Target, string Name) : JinjaExpr(Offset);

/// <summary><c>obj[key]</c>: Jinja tries the item, then the attribute.</summary>
internal sealed record GetItemExpr(int Offset, JinjaExpr Target, JinjaExpr Key) : JinjaExpr(Offset);

internal sealed record SliceExpr(int Offset, JinjaExpr Target, JinjaExpr? Start, JinjaExpr? Stop, JinjaExpr? Step) : JinjaExpr(Offset);

/// <summary>Positional and keyword arguments of a call, filter or test.</summary>
internal sealed record JinjaArguments(IReadOnlyList<JinjaExpr> Positional, IReadOnlyList<(string Name, JinjaExpr Value)> Keywords)
{
    public static readonly JinjaArguments None = new([], []);
}

internal sealed record CallExpr(int Offset, JinjaExpr Callee, JinjaArguments Arguments) : JinjaExpr(Offset);

/// <summary><c>value | name(args)</c>; <see cref="Value"/> is null inside a filter block, which supplies the body.</summary>
internal sealed record FilterExpr(int Offset, JinjaExpr? Value, string Name, JinjaArguments Arguments) : JinjaExpr(Offset);

/// <summary><c>value is [not] name(args)</c>.</summary>
internal sealed record TestExpr(int Offset, JinjaExpr Value, string Name, JinjaArguments Arguments, bool Negated) : JinjaExpr(Offset);

/// <summary><c>not x</c>, <c>-x</c>, <c>+x</c>.</summary>
internal sealed record UnaryExpr(int Offset, string Operator, JinjaExpr Operand) : JinjaExpr(Offset);

/// <summary>Arithmetic, <c>~</c>, and the short-circuit <c>and</c>/<c>or</c>.</summary>
internal sealed record BinaryExpr(int Offset, string Operator, JinjaExpr Left, JinjaExpr Right) : JinjaExpr(Offset);

/// <summary>A chain of comparisons, <c>a &lt; b &lt;= c</c>, including <c>in</c> and <c>not in</c>.</summary>
internal sealed record CompareExpr(int Offset, JinjaExpr First, IReadOnlyList<(string Operator, JinjaExpr Operand)> Rest) : JinjaExpr(Offset);

/// <summary><c>a if test else b</c>; without <c>else</c> the value is undefined when the test fails.</summary>
internal sealed record ConditionalExpr(int Offset, JinjaExpr Test, JinjaExpr Then, JinjaExpr? Else) : JinjaExpr(Offset);
