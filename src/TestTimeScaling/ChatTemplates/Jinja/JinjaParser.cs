namespace TestTimeScaling;

/// <summary>
/// Builds the syntax tree from the lexer's tokens, with Jinja's grammar and precedence (or, and, not,
/// comparisons, + -, ~, * / // %, **, unary, then postfix, filters and tests). Unknown tags, filters and tests are
/// refused here, as Jinja refuses them when it compiles a template.
/// </summary>
internal sealed class JinjaParser
{
    private const int MaxNesting = 200;

    private readonly JinjaSource _source;
    private readonly List<JinjaToken> _tokens;
    private int _index;
    private int _depth;

    private JinjaParser(JinjaSource source, List<JinjaToken> tokens)
    {
        _source = source;
        _tokens = tokens;
    }

    public static IReadOnlyList<JinjaStmt> Parse(JinjaSource source)
    {
        var parser = new JinjaParser(source, JinjaLexer.Tokenize(source));
        var body = parser.ParseBody([], out _);
        return body;
    }

    private JinjaToken Current => _index < _tokens.Count ? _tokens[_index] : new JinjaToken(JinjaTokenKind.End, "", _source.Text.Length);

    private JinjaToken Next() => _index < _tokens.Count ? _tokens[_index++] : Current;

    // Statements until one of the end tags (e.g. "endif", "elif", "else"); returns that tag's name, leaving the
    // parser after it. With no end tags, parses to the end of the template.
    private List<JinjaStmt> ParseBody(string[] endTags, out string endTag, int openedAt = -1, string opener = "")
    {
        var body = new List<JinjaStmt>();
        while (true)
        {
            JinjaToken token = Current;
            switch (token.Kind)
            {
                case JinjaTokenKind.End:
                    if (endTags.Length > 0) throw Syntax(openedAt, $"unclosed '{opener}' block: expected {string.Join(" or ", endTags.Select(t => $"'{{% {t} %}}'"))} before the end of the template");
                    endTag = "";
                    return body;
                case JinjaTokenKind.Text:
                    Next();
                    body.Add(new TextStmt(token.Offset, token.Text));
                    break;
                case JinjaTokenKind.VariableBegin:
                    Next();
                    body.Add(new OutputStmt(token.Offset, ParseExpression()));
                    Expect(JinjaTokenKind.VariableEnd, "'}}'");
                    break;
                case JinjaTokenKind.BlockBegin:
                    Next();
                    JinjaToken name = Current;
                    if (name.Kind != JinjaTokenKind.Name) throw Syntax(name.Offset, $"expected a tag name, got {name}");
                    if (endTags.Contains(name.Text))
                    {
                        Next();
                        endTag = name.Text;
                        return body;
                    }
                    if (endTags.Length > 0 && IsContinuationTag(name.Text))
                        throw Syntax(name.Offset, $"unexpected '{name.Text}': the innermost open block is '{opener}' (line {Position(openedAt).Line}), which expects {string.Join(" or ", endTags.Select(t => $"'{t}'"))}");
                    body.Add(ParseStatement(token.Offset));
                    break;
                default:
                    throw Syntax(token.Offset, $"unexpected {token}");
            }
        }
    }

    // A body that ends at its single end tag, whose '%}' is consumed too.
    private List<JinjaStmt> ParseClosedBody(string endTag, int offset, string opener)
    {
        var body = ParseBody([endTag], out _, offset, opener);
        Expect(JinjaTokenKind.BlockEnd, "'%}'");
        return body;
    }

    private static bool IsContinuationTag(string name) => name is "elif" or "else" || name.StartsWith("end", StringComparison.Ordinal);

    private (int Line, int Column) Position(int offset) => _source.Position(offset);

    private JinjaStmt ParseStatement(int offset)
    {
        JinjaToken tag = Next();
        switch (tag.Text)
        {
            case "if": return ParseIf(offset);
            case "for": return ParseFor(offset);
            case "set": return ParseSet(offset);
            case "macro": return ParseMacro(offset);
            case "filter":
            {
                var filters = ParseFilterChain(null);
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                return new FilterBlockStmt(offset, filters, ParseClosedBody("endfilter", offset, "filter"));
            }
            case "with": return ParseWith(offset);
            case "generation":
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                return new ScopeStmt(offset, ParseClosedBody("endgeneration", offset, "generation"));
            case "break":
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                return new BreakStmt(offset);
            case "continue":
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                return new ContinueStmt(offset);
            case "elif" or "else" or "endif" or "endfor" or "endset" or "endmacro" or "endfilter" or "endwith" or "endgeneration":
                throw Syntax(tag.Offset, $"unexpected '{tag.Text}' tag: no block is open that it could close or continue");
            default:
                throw Syntax(tag.Offset, $"unknown tag '{tag.Text}' (supported: if, for, set, macro, filter, with, generation, break, continue, raw)");
        }
    }

    private IfStmt ParseIf(int offset)
    {
        var branches = new List<(JinjaExpr, IReadOnlyList<JinjaStmt>)>();
        JinjaExpr test = ParseExpression();
        Expect(JinjaTokenKind.BlockEnd, "'%}'");
        while (true)
        {
            var body = ParseBody(["elif", "else", "endif"], out string end, offset, "if");
            branches.Add((test, body));
            if (end == "elif")
            {
                test = ParseExpression();
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                continue;
            }
            IReadOnlyList<JinjaStmt>? elseBody = null;
            if (end == "else")
            {
                Expect(JinjaTokenKind.BlockEnd, "'%}'");
                elseBody = ParseBody(["endif"], out _, offset, "if");
            }
            Expect(JinjaTokenKind.BlockEnd, "'%}'");
            return new IfStmt(offset, branches, elseBody);
        }
    }

    private ForStmt ParseFor(int offset)
    {
        JinjaTarget target = ParseTarget(allowAttribute: false);
        if (!Current.IsName("in")) throw Syntax(Current.Offset, $"expected 'in' in the for loop, got {Current}");
        Next();
        JinjaExpr iterable = ParseConditional(allowConditional: false);
        JinjaExpr? filter = null;
        if (Current.IsName("if"))
        {
            Next();
            filter = ParseExpression();
        }
        if (Current.IsName("recursive")) throw Syntax(Current.Offset, "recursive for loops are not supported");
        Expect(JinjaTokenKind.BlockEnd, "'%}'");
        var body = ParseBody(["else", "endfor"], out string end, offset, "for");
        IReadOnlyList<JinjaStmt>? elseBody = null;
        if (end == "else")
        {
            Expect(JinjaTokenKind.BlockEnd, "'%}'");
            elseBody = ParseBody(["endfor"], out _, offset, "for");
        }
        Expect(JinjaTokenKind.BlockEnd, "'%}'");
        return new ForStmt(offset, target, iterable, filter, body, elseBody);
    }

    private JinjaStmt ParseSet(int offset)
    {
        JinjaTarget target = ParseTarget(allowAttribute: true);
        if (Current.IsOperator("="))
        {
            Next();
            JinjaExpr value = ParseTupleOrExpression();
            Expect(JinjaTokenKind.BlockEnd, "'%}'");
            return new SetStmt(offset, target, value);
        }
        var filters = Current.IsOperator("|") ? ParseFilterChain(null) : [];
        Expect(JinjaTokenKind.BlockEnd, "'%}'");
        return new SetBlockStmt(offset, target, filters, ParseClosedBody("endset", offset, "set"));
    }

    private MacroStmt ParseMacro(int offset)
    {
        string name = ExpectName();
        Expect(JinjaTokenKind.Operator, "'('", "(");
        var parameters = new List<MacroParameter>();
        while (!Current.IsOperator(")"))
        {
            if (parameters.Count > 0) Expect(JinjaTokenKind.Operator, "','", ",");
            if (Current.IsOperator(")")) break;
            string parameter = ExpectName();
            JinjaExpr? defaultValue = null;
            if (Current.IsOperator("="))
            {
                Next();
                defaultValue = ParseExpression();
            }
            else if (parameters.Count > 0 && parameters[^1].Default is not null)
            {
                throw Syntax(Current.Offset, $"macro '{name}': parameter '{parameter}' without a default follows one with a default");
            }
            parameters.Add(new MacroParameter(parameter, defaultValue));
        }
        Next();
        Expect(JinjaTokenKind.BlockEnd, "'%}'");
        return new MacroStmt(offset, name, parameters, ParseClosedBody("endmacro", offset, "macro"));
    }

    private WithStmt ParseWith(int offset)
    {
        var assignments = new List<(JinjaTarget, JinjaExpr)>();
        while (Current.Kind != JinjaTokenKind.BlockEnd)
        {
            if (assignments.Count > 0) Expect(JinjaTokenKind.Operator, "','", ",");
            JinjaTarget target = ParseTarget(allowAttribute: false);
            Expect(JinjaTokenKind.Operator, "'='", "=");
            assignments.Add((target, ParseExpression()));
        }
        Next();
        return new WithStmt(offset, assignments, ParseClosedBody("endwith", offset, "with"));
    }

    private JinjaTarget ParseTarget(bool allowAttribute)
    {
        var items = new List<JinjaTarget>();
        int offset = Current.Offset;
        bool parenthesized = Current.IsOperator("(");
        if (parenthesized) Next();
        do
        {
            if (items.Count > 0) Next();
            int at = Current.Offset;
            string name = ExpectName();
            if (allowAttribute && Current.IsOperator("."))
            {
                Next();
                items.Add(new AttributeTarget(at, name, ExpectName()));
            }
            else
            {
                items.Add(new NameTarget(at, name));
            }
        }
        while (Current.IsOperator(","));
        if (parenthesized) Expect(JinjaTokenKind.Operator, "')'", ")");
        return items.Count == 1 && !parenthesized ? items[0] : new TupleTarget(offset, items);
    }

    private List<FilterExpr> ParseFilterChain(JinjaExpr? value)
    {
        var filters = new List<FilterExpr>();
        bool first = true;
        while (first || Current.IsOperator("|"))
        {
            if (!first || Current.IsOperator("|")) Next();
            first = false;
            filters.Add(ParseFilter(value));
        }
        return filters;
    }

    private FilterExpr ParseFilter(JinjaExpr? value)
    {
        int offset = Current.Offset;
        string name = ExpectName();
        while (Current.IsOperator(".")) { Next(); name += "." + ExpectName(); }
        if (!JinjaFilters.Exists(name)) throw Syntax(offset, $"unknown filter '{name}'");
        var arguments = Current.IsOperator("(") ? ParseArguments() : JinjaArguments.None;
        return new FilterExpr(offset, value, name, arguments);
    }

    // A bare tuple is allowed on the right of "set x = a, b".
    private JinjaExpr ParseTupleOrExpression()
    {
        int offset = Current.Offset;
        JinjaExpr first = ParseExpression();
        if (!Current.IsOperator(",")) return first;
        var items = new List<JinjaExpr> { first };
        while (Current.IsOperator(","))
        {
            Next();
            if (Current.Kind == JinjaTokenKind.BlockEnd) break;
            items.Add(ParseExpression());
        }
        return new TupleExpr(offset, items);
    }

    public JinjaExpr ParseExpression() => ParseConditional(allowConditional: true);

    private JinjaExpr ParseConditional(bool allowConditional)
    {
        Enter();
        JinjaExpr expr = ParseOr();
        while (allowConditional && Current.IsName("if"))
        {
            int offset = Current.Offset;
            Next();
            JinjaExpr test = ParseOr();
            JinjaExpr? otherwise = null;
            if (Current.IsName("else"))
            {
                Next();
                otherwise = ParseConditional(allowConditional: true);
            }
            expr = new ConditionalExpr(offset, test, expr, otherwise);
        }
        _depth--;
        return expr;
    }

    private JinjaExpr ParseOr()
    {
        JinjaExpr left = ParseAnd();
        while (Current.IsName("or"))
        {
            int offset = Next().Offset;
            left = new BinaryExpr(offset, "or", left, ParseAnd());
        }
        return left;
    }

    private JinjaExpr ParseAnd()
    {
        JinjaExpr left = ParseNot();
        while (Current.IsName("and"))
        {
            int offset = Next().Offset;
            left = new BinaryExpr(offset, "and", left, ParseNot());
        }
        return left;
    }

    private JinjaExpr ParseNot()
    {
        if (Current.IsName("not"))
        {
            int offset = Next().Offset;
            Enter();
            JinjaExpr operand = ParseNot();
            _depth--;
            return new UnaryExpr(offset, "not", operand);
        }
        return ParseCompare();
    }

    private JinjaExpr ParseCompare()
    {
        int offset = Current.Offset;
        JinjaExpr first = ParseMath1();
        var rest = new List<(string, JinjaExpr)>();
        while (true)
        {
            JinjaToken t = Current;
            if (t.Kind == JinjaTokenKind.Operator && t.Text is "==" or "!=" or "<" or ">" or "<=" or ">=")
            {
                Next();
                rest.Add((t.Text, ParseMath1()));
            }
            else if (t.IsName("in"))
            {
                Next();
                rest.Add(("in", ParseMath1()));
            }
            else if (t.IsName("not") && Peek(1).IsName("in"))
            {
                Next();
                Next();
                rest.Add(("notin", ParseMath1()));
            }
            else
            {
                break;
            }
        }
        return rest.Count == 0 ? first : new CompareExpr(offset, first, rest);
    }

    private JinjaExpr ParseMath1()
    {
        JinjaExpr left = ParseConcat();
        while (Current.Kind == JinjaTokenKind.Operator && Current.Text is "+" or "-")
        {
            JinjaToken op = Next();
            left = new BinaryExpr(op.Offset, op.Text, left, ParseConcat());
        }
        return left;
    }

    private JinjaExpr ParseConcat()
    {
        JinjaExpr left = ParseMath2();
        while (Current.IsOperator("~"))
        {
            int offset = Next().Offset;
            left = new BinaryExpr(offset, "~", left, ParseMath2());
        }
        return left;
    }

    private JinjaExpr ParseMath2()
    {
        JinjaExpr left = ParsePow();
        while (Current.Kind == JinjaTokenKind.Operator && Current.Text is "*" or "/" or "//" or "%")
        {
            JinjaToken op = Next();
            left = new BinaryExpr(op.Offset, op.Text, left, ParsePow());
        }
        return left;
    }

    private JinjaExpr ParsePow()
    {
        JinjaExpr left = ParseUnary(withFilter: true);
        while (Current.IsOperator("**"))
        {
            int offset = Next().Offset;
            left = new BinaryExpr(offset, "**", left, ParseUnary(withFilter: true));
        }
        return left;
    }

    private JinjaExpr ParseUnary(bool withFilter)
    {
        JinjaToken t = Current;
        JinjaExpr node;
        if (t.Kind == JinjaTokenKind.Operator && t.Text is "-" or "+")
        {
            Next();
            Enter();
            node = new UnaryExpr(t.Offset, t.Text, ParseUnary(withFilter: false));
            _depth--;
        }
        else
        {
            node = ParsePrimary();
        }
        node = ParsePostfix(node);
        return withFilter ? ParseFilterAndTests(node) : node;
    }

    private JinjaExpr ParsePrimary()
    {
        JinjaToken t = Next();
        switch (t.Kind)
        {
            case JinjaTokenKind.Name:
                return t.Text switch
                {
                    "true" or "True" => new LiteralExpr(t.Offset, true),
                    "false" or "False" => new LiteralExpr(t.Offset, false),
                    "none" or "None" => new LiteralExpr(t.Offset, null),
                    _ => new NameExpr(t.Offset, t.Text),
                };
            case JinjaTokenKind.String:
                string text = (string)t.Value!;
                while (Current.Kind == JinjaTokenKind.String) text += (string)Next().Value!;
                return new LiteralExpr(t.Offset, text);
            case JinjaTokenKind.Integer or JinjaTokenKind.Float:
                return new LiteralExpr(t.Offset, t.Value);
            case JinjaTokenKind.Operator when t.Text == "(":
                return ParseParenthesized(t.Offset);
            case JinjaTokenKind.Operator when t.Text == "[":
                return new ListExpr(t.Offset, ParseSequence("]"));
            case JinjaTokenKind.Operator when t.Text == "{":
                return ParseDict(t.Offset);
            default:
                throw Syntax(t.Offset, $"unexpected {t}, expected an expression");
        }
    }

    private JinjaExpr ParseParenthesized(int offset)
    {
        Enter();
        if (Current.IsOperator(")"))
        {
            Next();
            _depth--;
            return new TupleExpr(offset, []);
        }
        JinjaExpr first = ParseExpression();
        if (Current.IsOperator(")"))
        {
            Next();
            _depth--;
            return first;
        }
        var items = new List<JinjaExpr> { first };
        while (Current.IsOperator(","))
        {
            Next();
            if (Current.IsOperator(")")) break;
            items.Add(ParseExpression());
        }
        Expect(JinjaTokenKind.Operator, "')'", ")");
        _depth--;
        return new TupleExpr(offset, items);
    }

    private List<JinjaExpr> ParseSequence(string close)
    {
        Enter();
        var items = new List<JinjaExpr>();
        while (!Current.IsOperator(close))
        {
            if (items.Count > 0)
            {
                Expect(JinjaTokenKind.Operator, "','", ",");
                if (Current.IsOperator(close)) break;
            }
            items.Add(ParseExpression());
        }
        Next();
        _depth--;
        return items;
    }

    private DictExpr ParseDict(int offset)
    {
        Enter();
        var pairs = new List<(JinjaExpr, JinjaExpr)>();
        while (!Current.IsOperator("}"))
        {
            if (pairs.Count > 0)
            {
                Expect(JinjaTokenKind.Operator, "','", ",");
                if (Current.IsOperator("}")) break;
            }
            JinjaExpr key = ParseExpression();
            Expect(JinjaTokenKind.Operator, "':'", ":");
            pairs.Add((key, ParseExpression()));
        }
        Next();
        _depth--;
        return new DictExpr(offset, pairs);
    }

    private JinjaExpr ParsePostfix(JinjaExpr node)
    {
        while (true)
        {
            JinjaToken t = Current;
            if (t.IsOperator("."))
            {
                Next();
                JinjaToken attr = Next();
                node = attr.Kind switch
                {
                    JinjaTokenKind.Name => new GetAttrExpr(attr.Offset, node, attr.Text),
                    JinjaTokenKind.Integer => new GetItemExpr(attr.Offset, node, new LiteralExpr(attr.Offset, attr.Value)),
                    _ => throw Syntax(attr.Offset, $"expected an attribute name after '.', got {attr}"),
                };
            }
            else if (t.IsOperator("["))
            {
                Next();
                node = ParseSubscript(t.Offset, node);
            }
            else if (t.IsOperator("("))
            {
                node = new CallExpr(t.Offset, node, ParseArguments());
            }
            else
            {
                return node;
            }
        }
    }

    private JinjaExpr ParseSubscript(int offset, JinjaExpr target)
    {
        Enter();
        JinjaExpr? start = null, stop = null, step = null;
        bool isSlice = false;
        if (Current.IsOperator("]"))
        {
            Next();
            _depth--;
            return new GetItemExpr(offset, target, new TupleExpr(offset, [])); // x[] is x[()] in Jinja
        }
        if (!Current.IsOperator(":")) start = ParseExpression();
        if (Current.IsOperator(":"))
        {
            isSlice = true;
            Next();
            if (!Current.IsOperator("]") && !Current.IsOperator(":")) stop = ParseExpression();
            if (Current.IsOperator(":"))
            {
                Next();
                if (!Current.IsOperator("]")) step = ParseExpression();
            }
        }
        else if (Current.IsOperator(","))
        {
            var items = new List<JinjaExpr> { start! };
            while (Current.IsOperator(","))
            {
                Next();
                if (Current.IsOperator("]")) break;
                items.Add(ParseExpression());
            }
            start = new TupleExpr(start!.Offset, items);
        }
        Expect(JinjaTokenKind.Operator, "']'", "]");
        _depth--;
        return isSlice ? new SliceExpr(offset, target, start, stop, step) : new GetItemExpr(offset, target, start!);
    }

    private JinjaArguments ParseArguments()
    {
        Enter();
        Expect(JinjaTokenKind.Operator, "'('", "(");
        var positional = new List<JinjaExpr>();
        var keywords = new List<(string, JinjaExpr)>();
        while (!Current.IsOperator(")"))
        {
            if (positional.Count + keywords.Count > 0)
            {
                Expect(JinjaTokenKind.Operator, "','", ",");
                if (Current.IsOperator(")")) break;
            }
            if (Current.Kind == JinjaTokenKind.Name && Peek(1).IsOperator("="))
            {
                string name = Next().Text;
                Next();
                keywords.Add((name, ParseExpression()));
            }
            else
            {
                if (keywords.Count > 0) throw Syntax(Current.Offset, "a positional argument follows a keyword argument");
                if (Current.IsOperator("*") || Current.IsOperator("**")) throw Syntax(Current.Offset, "'*' and '**' arguments are not supported");
                positional.Add(ParseExpression());
            }
        }
        Next();
        _depth--;
        return new JinjaArguments(positional, keywords);
    }

    private JinjaExpr ParseFilterAndTests(JinjaExpr node)
    {
        while (true)
        {
            if (Current.IsOperator("|"))
            {
                Next();
                FilterExpr filter = ParseFilter(node);
                node = filter;
            }
            else if (Current.IsName("is"))
            {
                Next();
                node = ParseTest(node);
            }
            else if (Current.IsOperator("("))
            {
                node = new CallExpr(Current.Offset, node, ParseArguments());
            }
            else
            {
                return node;
            }
        }
    }

    private TestExpr ParseTest(JinjaExpr value)
    {
        bool negated = false;
        if (Current.IsName("not"))
        {
            Next();
            negated = true;
        }
        int offset = Current.Offset;
        JinjaToken nameToken = Next();
        string name = nameToken.Kind switch
        {
            JinjaTokenKind.Name => nameToken.Text,
            JinjaTokenKind.Operator when nameToken.Text is "==" or "!=" or "<" or ">" or "<=" or ">=" => nameToken.Text,
            _ => throw Syntax(nameToken.Offset, $"expected a test name after 'is', got {nameToken}"),
        };
        if (!JinjaTests.Exists(name)) throw Syntax(offset, $"unknown test '{name}'");
        JinjaArguments arguments = JinjaArguments.None;
        if (Current.IsOperator("("))
        {
            arguments = ParseArguments();
        }
        else if ((Current.Kind is JinjaTokenKind.Name or JinjaTokenKind.String or JinjaTokenKind.Integer or JinjaTokenKind.Float
                  || Current.IsOperator("[") || Current.IsOperator("{"))
                 && !Current.IsName("else") && !Current.IsName("or") && !Current.IsName("and"))
        {
            // Jinja takes one bare argument here (x is divisibleby 3); any other name counts as one too.
            if (Current.IsName("is")) throw Syntax(Current.Offset, "tests cannot be chained with 'is'");
            arguments = new JinjaArguments([ParsePostfix(ParsePrimary())], []);
        }
        return new TestExpr(offset, value, name, arguments, negated);
    }

    private JinjaToken Peek(int ahead) => _index + ahead < _tokens.Count ? _tokens[_index + ahead] : new JinjaToken(JinjaTokenKind.End, "", _source.Text.Length);

    private string ExpectName()
    {
        JinjaToken t = Next();
        if (t.Kind != JinjaTokenKind.Name) throw Syntax(t.Offset, $"expected a name, got {t}");
        return t.Text;
    }

    private void Expect(JinjaTokenKind kind, string what, string? text = null)
    {
        JinjaToken t = Current;
        if (t.Kind != kind || (text is not null && t.Text != text)) throw Syntax(t.Offset, $"expected {what}, got {t}");
        Next();
    }

    // Deeply nested input would otherwise overflow the stack: refuse it with a message instead.
    private void Enter()
    {
        if (++_depth > MaxNesting) throw Syntax(Current.Offset, $"expressions nested more than {MaxNesting} deep");
    }

    private ChatTemplateSyntaxException Syntax(int offset, string reason)
    {
        var (line, column) = _source.Position(offset < 0 ? 0 : offset);
        return new ChatTemplateSyntaxException(_source.Name, line, column, reason);
    }
}
