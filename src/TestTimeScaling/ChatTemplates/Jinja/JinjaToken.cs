namespace TestTimeScaling;

/// <summary>The kinds of token the Jinja lexer produces.</summary>
internal enum JinjaTokenKind
{
    Text,
    VariableBegin,
    VariableEnd,
    BlockBegin,
    BlockEnd,
    Name,
    String,
    Integer,
    Float,
    Operator,
    End,
}

/// <summary>One lexed token; <paramref name="Offset"/> is its position in the normalized source, for messages.</summary>
internal readonly record struct JinjaToken(JinjaTokenKind Kind, string Text, int Offset, object? Value = null)
{
    public bool Is(JinjaTokenKind kind, string text) => Kind == kind && Text == text;

    public bool IsName(string name) => Kind == JinjaTokenKind.Name && Text == name;

    public bool IsOperator(string op) => Kind == JinjaTokenKind.Operator && Text == op;

    public override string ToString() => Kind switch
    {
        JinjaTokenKind.End => "end of template",
        JinjaTokenKind.VariableEnd => "'}}'",
        JinjaTokenKind.BlockEnd => "'%}'",
        JinjaTokenKind.String => "string literal",
        _ => $"'{Text}'",
    };
}
