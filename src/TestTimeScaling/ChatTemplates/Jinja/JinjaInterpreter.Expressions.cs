using System.Text;

namespace TestTimeScaling;

internal sealed partial class JinjaInterpreter
{
    public object? Evaluate(JinjaExpr expr, JinjaScope scope)
    {
        try
        {
            return EvaluateCore(expr, scope);
        }
        catch (JinjaTypeError ex)
        {
            throw Error(expr.Offset, ex.Message);
        }
    }

    private object? EvaluateCore(JinjaExpr expr, JinjaScope scope)
    {
        switch (expr)
        {
            case LiteralExpr literal:
                return literal.Value;
            case NameExpr name:
                return scope.TryGet(name.Name, out object? value) ? value : JinjaUndefined.Variable(name.Name);
            case ListExpr list:
                return list.Items.Select(item => Evaluate(item, scope)).ToList();
            case TupleExpr tuple:
                return tuple.Items.Select(item => Evaluate(item, scope)).ToArray();
            case DictExpr dict:
                var result = PyDictComparer.NewDict();
                foreach (var (k, v) in dict.Pairs)
                {
                    object? key = Evaluate(k, scope);
                    if (key is null || !PyOps.IsHashable(key)) throw Error(k.Offset, $"unhashable or null dictionary key of type '{PyOps.TypeName(key)}'");
                    result[key] = Evaluate(v, scope);
                }
                return result;
            case GetAttrExpr attr:
                return JinjaMembers.GetAttribute(Evaluate(attr.Target, scope), attr.Name);
            case GetItemExpr item:
                return JinjaMembers.GetItem(Evaluate(item.Target, scope), Evaluate(item.Key, scope));
            case SliceExpr slice:
                return Slice(slice, scope);
            case CallExpr call:
                return Call(call, scope);
            case FilterExpr filter:
                return ApplyFilter(filter, Evaluate(filter.Value!, scope), scope);
            case TestExpr test:
                bool outcome = JinjaTests.Run(this, test.Name, Evaluate(test.Value, scope), EvaluateArguments(test.Arguments, scope), test.Offset);
                return test.Negated ? !outcome : outcome;
            case UnaryExpr unary:
                return Unary(unary, scope);
            case BinaryExpr binary:
                return Binary(binary, scope);
            case CompareExpr compare:
                return Compare(compare, scope);
            case ConditionalExpr conditional:
                if (PyOps.IsTrue(Evaluate(conditional.Test, scope))) return Evaluate(conditional.Then, scope);
                return conditional.Else is null ? new JinjaUndefined("the inline if had no else") : Evaluate(conditional.Else, scope);
            default:
                throw Error(expr.Offset, $"unsupported expression {expr.GetType().Name}");
        }
    }

    public JinjaCallArguments EvaluateArguments(JinjaArguments arguments, JinjaScope scope)
    {
        if (arguments.Positional.Count == 0 && arguments.Keywords.Count == 0) return JinjaCallArguments.Empty;
        var positional = arguments.Positional.Select(a => Evaluate(a, scope)).ToList();
        var keywords = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var (name, value) in arguments.Keywords) keywords[name] = Evaluate(value, scope);
        return new JinjaCallArguments(positional, keywords);
    }

    internal object? ApplyFilter(FilterExpr filter, object? value, JinjaScope scope) =>
        JinjaFilters.Apply(this, filter.Name, value, EvaluateArguments(filter.Arguments, scope), filter.Offset);

    private object? Call(CallExpr call, JinjaScope scope)
    {
        object? callee = Evaluate(call.Callee, scope);
        JinjaCallArguments arguments = EvaluateArguments(call.Arguments, scope);
        return callee switch
        {
            JinjaCallable callable => callable.Invoke(this, arguments, call.Offset),
            JinjaUndefined undefined => throw Error(call.Offset, $"cannot call an undefined value: {undefined.Hint}"),
            _ => throw Error(call.Offset, $"'{PyOps.TypeName(callee)}' object is not callable"),
        };
    }

    private object? Slice(SliceExpr slice, JinjaScope scope)
    {
        object? target = Evaluate(slice.Target, scope);
        long? Bound(JinjaExpr? e)
        {
            if (e is null) return null;
            object? v = Evaluate(e, scope);
            return v is null ? null : v is long or bool ? PyOps.ToLong(v) : throw Error(e.Offset, "slice indices must be integers or None");
        }
        long? start = Bound(slice.Start), stop = Bound(slice.Stop), step = Bound(slice.Step);
        switch (target)
        {
            case string s:
                return PyStrings.Select(s, PyOps.SliceIndices(PyStrings.Length(s), start, stop, step));
            case List<object?> list:
                return PyOps.SliceIndices(list.Count, start, stop, step).Select(i => list[(int)i]).ToList();
            case object?[] tuple:
                return PyOps.SliceIndices(tuple.Length, start, stop, step).Select(i => tuple[(int)i]).ToArray();
            case JinjaUndefined undefined:
                throw Error(slice.Offset, undefined.Hint);
            default:
                // Jinja's getitem turns Python's TypeError into an undefined value.
                return new JinjaUndefined($"'{PyOps.TypeName(target)}' object is not subscriptable");
        }
    }

    private object? Unary(UnaryExpr unary, JinjaScope scope)
    {
        object? operand = Evaluate(unary.Operand, scope);
        switch (unary.Operator)
        {
            case "not":
                return !PyOps.IsTrue(operand);
            case "-":
                return operand switch
                {
                    long l => (object)-l,
                    bool b => b ? -1L : 0L,
                    double d => -d,
                    JinjaUndefined u => throw Error(unary.Offset, u.Hint),
                    _ => throw Error(unary.Offset, $"bad operand type for unary -: '{PyOps.TypeName(operand)}'"),
                };
            default:
                return operand switch
                {
                    long or double => operand,
                    bool b => (object)(b ? 1L : 0L),
                    JinjaUndefined u => throw Error(unary.Offset, u.Hint),
                    _ => throw Error(unary.Offset, $"bad operand type for unary +: '{PyOps.TypeName(operand)}'"),
                };
        }
    }

    private object? Binary(BinaryExpr binary, JinjaScope scope)
    {
        if (binary.Operator == "and")
        {
            object? left = Evaluate(binary.Left, scope);
            return PyOps.IsTrue(left) ? Evaluate(binary.Right, scope) : left;
        }
        if (binary.Operator == "or")
        {
            object? left = Evaluate(binary.Left, scope);
            return PyOps.IsTrue(left) ? left : Evaluate(binary.Right, scope);
        }
        object? a = Evaluate(binary.Left, scope);
        object? b = Evaluate(binary.Right, scope);
        if (binary.Operator == "~") return CheckLength(PyText.Str(a) + PyText.Str(b), binary.Offset);
        if (binary.Operator == "%" && a is string template) return CheckLength(PyFormat.Percent(template, b), binary.Offset);
        if (a is JinjaUndefined ua) throw Error(binary.Offset, ua.Hint);
        if (b is JinjaUndefined ub) throw Error(binary.Offset, ub.Hint);
        return binary.Operator switch
        {
            "+" => Add(a, b, binary.Offset),
            "*" => Multiply(a, b, binary.Offset),
            _ => PyArithmetic.Apply(binary.Operator, a, b),
        };
    }

    private object? Add(object? a, object? b, int offset)
    {
        switch (a, b)
        {
            case (string sa, string sb):
                return CheckLength(sa + sb, offset);
            case (List<object?> la, List<object?> lb):
                if (la.Count + (long)lb.Count > _options.MaxOutputLength) throw Error(offset, "a list longer than the output limit");
                return la.Concat(lb).ToList();
            case (object?[] ta, object?[] tb):
                return ta.Concat(tb).ToArray();
            default:
                if (PyOps.IsNumber(a) && PyOps.IsNumber(b)) return PyArithmetic.Apply("+", a, b);
                throw Error(offset, a is string
                    ? $"can only concatenate str (not \"{PyOps.TypeName(b)}\") to str"
                    : $"unsupported operand type(s) for +: '{PyOps.TypeName(a)}' and '{PyOps.TypeName(b)}'");
        }
    }

    private object? Multiply(object? a, object? b, int offset)
    {
        if (a is long or bool && b is string or List<object?>) (a, b) = (b, a);
        if (a is string s && b is long or bool)
        {
            long n = PyOps.ToLong(b);
            if (n <= 0 || s.Length == 0) return "";
            if (n * s.Length > _options.MaxOutputLength) throw Error(offset, $"a string of more than {_options.MaxOutputLength} characters");
            return new StringBuilder(s.Length * (int)n).Insert(0, s, (int)n).ToString();
        }
        if (a is List<object?> list && b is long or bool)
        {
            long n = PyOps.ToLong(b);
            if (n <= 0) return new List<object?>();
            if (n * list.Count > _options.MaxOutputLength) throw Error(offset, "a list longer than the output limit");
            var result = new List<object?>();
            for (long i = 0; i < n; i++) result.AddRange(list);
            return result;
        }
        return PyArithmetic.Apply("*", a, b);
    }

    private object? Compare(CompareExpr compare, JinjaScope scope)
    {
        object? left = Evaluate(compare.First, scope);
        foreach (var (op, operandExpr) in compare.Rest)
        {
            object? right = Evaluate(operandExpr, scope);
            bool holds = op switch
            {
                "==" => PyOps.Equals(left, right),
                "!=" => !PyOps.Equals(left, right),
                "in" => PyOps.Contains(right, left),
                "notin" => !PyOps.Contains(right, left),
                _ => CompareOrdered(op, left, right, compare.Offset),
            };
            if (!holds) return false;
            left = right;
        }
        return true;
    }

    private bool CompareOrdered(string op, object? left, object? right, int offset)
    {
        if (left is JinjaUndefined ul) throw Error(offset, ul.Hint);
        if (right is JinjaUndefined ur) throw Error(offset, ur.Hint);
        int c = PyOps.Compare(left, right, op);
        return op switch { "<" => c < 0, "<=" => c <= 0, ">" => c > 0, _ => c >= 0 };
    }
}
