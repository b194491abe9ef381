using System.Runtime.CompilerServices;
using System.Text;

namespace TestTimeScaling;

/// <summary>
/// Runs a parsed template over variables: statements here, expressions in the other part of this class. One
/// instance per render. Limits (output length, loop iterations, call depth) turn a runaway template into a
/// <see cref="ChatTemplateException"/> instead of a hang or a crash.
/// </summary>
internal sealed partial class JinjaInterpreter
{
    private const int MaxCallDepth = 100;

    private readonly JinjaSource _source;
    private readonly ChatTemplateOptions _options;
    private long _iterations;
    private long _outputChars;
    private int _callDepth;
    private int _loopDepth;

    public JinjaInterpreter(JinjaSource source, ChatTemplateOptions options)
    {
        _source = source;
        _options = options;
    }

    public string Render(IReadOnlyList<JinjaStmt> body, JinjaScope globals)
    {
        var output = new StringBuilder();
        Flow flow = Execute(body, new JinjaScope(globals), output);
        if (flow != Flow.Normal) throw Error(0, "'break' or 'continue' outside a for loop");
        return output.ToString();
    }

    /// <summary>Renders a body into its own string (a macro call, a block set, a filter block).</summary>
    public string RenderToString(IReadOnlyList<JinjaStmt> body, JinjaScope scope, int offset)
    {
        if (++_callDepth > MaxCallDepth) throw Error(offset, $"calls nested more than {MaxCallDepth} deep (runaway recursion?)");
        try
        {
            var output = new StringBuilder();
            Execute(body, scope, output);
            return output.ToString();
        }
        finally
        {
            _callDepth--;
        }
    }

    private enum Flow { Normal, Break, Continue }

    private Flow Execute(IReadOnlyList<JinjaStmt> body, JinjaScope scope, StringBuilder output)
    {
        if (!RuntimeHelpers.TryEnsureSufficientExecutionStack())
            throw Error(body.Count > 0 ? body[0].Offset : 0, "the template nests too deeply for the stack");
        foreach (JinjaStmt statement in body)
        {
            Flow flow = ExecuteOne(statement, scope, output);
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    private Flow ExecuteOne(JinjaStmt statement, JinjaScope scope, StringBuilder output)
    {
        try
        {
            switch (statement)
            {
                case TextStmt text:
                    Append(output, text.Text, text.Offset);
                    return Flow.Normal;
                case OutputStmt o:
                    Append(output, PyText.Str(Evaluate(o.Value, scope)), o.Offset);
                    return Flow.Normal;
                case IfStmt s:
                    foreach (var (test, branch) in s.Branches)
                    {
                        if (PyOps.IsTrue(Evaluate(test, scope))) return Execute(branch, scope, output);
                    }
                    return s.Else is null ? Flow.Normal : Execute(s.Else, scope, output);
                case ForStmt f:
                    ExecuteFor(f, scope, output);
                    return Flow.Normal;
                case SetStmt set:
                    Assign(set.Target, Evaluate(set.Value, scope), scope);
                    return Flow.Normal;
                case SetBlockStmt block:
                    object? captured = RenderToString(block.Body, scope, block.Offset);
                    foreach (FilterExpr filter in block.Filters) captured = ApplyFilter(filter, captured, scope);
                    Assign(block.Target, captured, scope);
                    return Flow.Normal;
                case MacroStmt macro:
                    scope.Set(macro.Name, new JinjaMacro(macro, scope));
                    return Flow.Normal;
                case FilterBlockStmt fb:
                    object? body = RenderToString(fb.Body, new JinjaScope(scope), fb.Offset);
                    foreach (FilterExpr filter in fb.Filters) body = ApplyFilter(filter, body, scope);
                    Append(output, PyText.Str(body), fb.Offset);
                    return Flow.Normal;
                case WithStmt with:
                    var inner = new JinjaScope(scope);
                    foreach (var (target, value) in with.Assignments) Assign(target, Evaluate(value, scope), inner);
                    return Execute(with.Body, inner, output);
                case ScopeStmt sc:
                    return Execute(sc.Body, new JinjaScope(scope), output);
                case BreakStmt b:
                    if (_loopDepth == 0) throw Error(b.Offset, "'break' outside a for loop");
                    return Flow.Break;
                case ContinueStmt c:
                    if (_loopDepth == 0) throw Error(c.Offset, "'continue' outside a for loop");
                    return Flow.Continue;
                default:
                    throw Error(statement.Offset, $"unsupported statement {statement.GetType().Name}");
            }
        }
        catch (JinjaTypeError ex)
        {
            throw Error(statement.Offset, ex.Message);
        }
    }

    private void ExecuteFor(ForStmt f, JinjaScope scope, StringBuilder output)
    {
        IReadOnlyList<object?> items = Iterate(Evaluate(f.Iterable, scope), f.Iterable.Offset);
        if (f.Filter is not null)
        {
            var kept = new List<object?>();
            foreach (object? item in items)
            {
                var probe = new JinjaScope(scope);
                Assign(f.Target, item, probe);
                if (PyOps.IsTrue(Evaluate(f.Filter, probe))) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0)
        {
            if (f.Else is not null) Execute(f.Else, new JinjaScope(scope), output);
            return;
        }
        var loop = new JinjaLoop(items, depth: 1); // depth grows only in recursive loops, which are not supported
        _loopDepth++;
        try
        {
            for (int i = 0; i < items.Count; i++)
            {
                if (++_iterations > _options.MaxLoopIterations)
                    throw Error(f.Offset, $"more than {_options.MaxLoopIterations} loop iterations in one render");
                loop.Index0 = i;
                var iteration = new JinjaScope(scope);
                iteration.Set("loop", loop);
                Assign(f.Target, items[i], iteration);
                if (Execute(f.Body, iteration, output) == Flow.Break) break;
            }
        }
        finally
        {
            _loopDepth--;
        }
    }

    private IReadOnlyList<object?> Iterate(object? value, int offset)
    {
        try
        {
            return PyOps.Iterate(value);
        }
        catch (JinjaTypeError ex)
        {
            throw Error(offset, ex.Message);
        }
    }

    private void Assign(JinjaTarget target, object? value, JinjaScope scope)
    {
        switch (target)
        {
            case NameTarget name:
                scope.Set(name.Name, value);
                break;
            case AttributeTarget attribute:
                if (!scope.TryGet(attribute.Name, out object? holder) || holder is not JinjaNamespace ns)
                    throw Error(attribute.Offset, $"cannot assign attribute '{attribute.Attribute}' on '{attribute.Name}': only a namespace() accepts attribute assignment");
                ns.Attributes[attribute.Attribute] = value;
                break;
            case TupleTarget tuple:
                IReadOnlyList<object?> values = Iterate(value, tuple.Offset);
                if (values.Count != tuple.Items.Count)
                    throw Error(tuple.Offset, $"cannot unpack {values.Count} value(s) into {tuple.Items.Count} name(s)");
                for (int i = 0; i < values.Count; i++) Assign(tuple.Items[i], values[i], scope);
                break;
        }
    }

    private void Append(StringBuilder output, string text, int offset)
    {
        _outputChars += text.Length;
        if (_outputChars > _options.MaxOutputLength)
            throw Error(offset, $"the output would exceed {_options.MaxOutputLength} characters");
        output.Append(text);
    }

    /// <summary>A string built by an operator or filter, refused when it alone passes the output limit.</summary>
    internal string CheckLength(string text, int offset)
    {
        if (text.Length > _options.MaxOutputLength) throw Error(offset, $"a string of more than {_options.MaxOutputLength} characters");
        return text;
    }

    public ChatTemplateException Error(int offset, string reason)
    {
        var (line, column) = _source.Position(offset);
        return new ChatTemplateException(_source.Name, line, column, reason);
    }

    public ChatTemplateRaisedException Raised(int offset, string message)
    {
        var (line, column) = _source.Position(offset);
        return new ChatTemplateRaisedException(_source.Name, line, column, message);
    }
}
