namespace TestTimeScaling;

/// <summary>A statement of the template's syntax tree; <see cref="Offset"/> locates it for messages.</summary>
internal abstract record JinjaStmt(int Offset);

internal sealed record TextStmt(int Offset, string Text) : JinjaStmt(Offset);

/// <summary><c>{{ expr }}</c>.</summary>
internal sealed record OutputStmt(int Offset, JinjaExpr Value) : JinjaStmt(Offset);

internal sealed record IfStmt(int Offset, IReadOnlyList<(JinjaExpr Test, IReadOnlyList<JinjaStmt> Body)> Branches, IReadOnlyList<JinjaStmt>? Else) : JinjaStmt(Offset);

/// <summary>An assignment target: one name, names to unpack into, or a namespace attribute.</summary>
internal abstract record JinjaTarget(int Offset);

internal sealed record NameTarget(int Offset, string Name) : JinjaTarget(Offset);

internal sealed record TupleTarget(int Offset, IReadOnlyList<JinjaTarget> Items) : JinjaTarget(Offset);

internal sealed record AttributeTarget(int Offset, string Name, string Attribute) : JinjaTarget(Offset);

internal sealed record ForStmt(int Offset, JinjaTarget Target, JinjaExpr Iterable, JinjaExpr? Filter, IReadOnlyList<JinjaStmt> Body, IReadOnlyList<JinjaStmt>? Else) : JinjaStmt(Offset);

internal sealed record SetStmt(int Offset, JinjaTarget Target, JinjaExpr Value) : JinjaStmt(Offset);

/// <summary><c>{% set name | filters %}body{% endset %}</c>: the rendered body, filtered, assigned.</summary>
internal sealed record SetBlockStmt(int Offset, JinjaTarget Target, IReadOnlyList<FilterExpr> Filters, IReadOnlyList<JinjaStmt> Body) : JinjaStmt(Offset);

internal sealed record MacroParameter(string Name, JinjaExpr? Default);

internal sealed record MacroStmt(int Offset, string Name, IReadOnlyList<MacroParameter> Parameters, IReadOnlyList<JinjaStmt> Body) : JinjaStmt(Offset);

/// <summary><c>{% filter f %}body{% endfilter %}</c>.</summary>
internal sealed record FilterBlockStmt(int Offset, IReadOnlyList<FilterExpr> Filters, IReadOnlyList<JinjaStmt> Body) : JinjaStmt(Offset);

/// <summary><c>{% with a = x %}body{% endwith %}</c>: a body with its own scope.</summary>
internal sealed record WithStmt(int Offset, IReadOnlyList<(JinjaTarget Target, JinjaExpr Value)> Assignments, IReadOnlyList<JinjaStmt> Body) : JinjaStmt(Offset);

/// <summary><c>{% generation %}</c> (transformers' assistant-mask tag): renders its body, in a scope of its own.</summary>
internal sealed record ScopeStmt(int Offset, IReadOnlyList<JinjaStmt> Body) : JinjaStmt(Offset);

internal sealed record BreakStmt(int Offset) : JinjaStmt(Offset);

internal sealed record ContinueStmt(int Offset) : JinjaStmt(Offset);
