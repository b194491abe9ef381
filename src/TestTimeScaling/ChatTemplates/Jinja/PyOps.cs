namespace TestTimeScaling;

/// <summary>
/// Python's semantics for the values templates handle: truth, equality, ordering, length, iteration,
/// membership, and slice bounds. Errors are <see cref="JinjaTypeError"/>, turned into positioned template errors.
/// </summary>
internal static class PyOps
{
    public static bool IsTrue(object? value) => value switch
    {
        null or JinjaUndefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        object?[] tuple => tuple.Length > 0,
        Dictionary<object, object?> dict => dict.Count > 0,
        PyDictView view => view.Count > 0,
        _ => true, // generators, namespaces, functions
    };

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        JinjaUndefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        object?[] => "tuple",
        Dictionary<object, object?> => "dict",
        JinjaNamespace => "Namespace",
        JinjaLoop => "LoopContext",
        JinjaCallable => "function",
        JinjaGenerator => "generator",
        PyDictView view => view.Kind,
        _ => value.GetType().Name,
    };

    public static bool IsNumber(object? value) => value is long or double or bool;

    public static double ToDouble(object? value) => value switch
    {
        long l => l,
        double d => d,
        bool b => b ? 1 : 0,
        _ => throw new JinjaTypeError($"expected a number, got {TypeName(value)}"),
    };

    public static long ToLong(object? value) => value switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        _ => throw new JinjaTypeError($"expected an integer, got {TypeName(value)}"),
    };

    public static new bool Equals(object? a, object? b)
    {
        if (a is JinjaUndefined || b is JinjaUndefined) return a is JinjaUndefined && b is JinjaUndefined;
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return ToLong(a) == ToLong(b);
        }
        switch (a)
        {
            case null: return b is null;
            case string s: return b is string t && s == t;
            case List<object?> la: return b is List<object?> lb && SequenceEquals(la, lb);
            case object?[] ta: return b is object?[] tb && SequenceEquals(ta, tb);
            case Dictionary<object, object?> da:
                if (b is not Dictionary<object, object?> db || da.Count != db.Count) return false;
                foreach (var (k, v) in da)
                {
                    if (!db.TryGetValue(k, out object? w) || !Equals(v, w)) return false;
                }
                return true;
            default: return ReferenceEquals(a, b);
        }
    }

    private static bool SequenceEquals(IReadOnlyList<object?> a, IReadOnlyList<object?> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
        {
            if (!Equals(a[i], b[i])) return false;
        }
        return true;
    }

    /// <summary>Python ordering (<c>&lt;</c> and friends): numbers with numbers, strings with strings, lists element-wise.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a).CompareTo(ToDouble(b));
            return ToLong(a).CompareTo(ToLong(b));
        }
        if (a is string sa && b is string sb) return PyStrings.Compare(sa, sb);
        if ((a is List<object?> && b is List<object?>) || (a is object?[] && b is object?[]))
        {
            var la = (IReadOnlyList<object?>)a;
            var lb = (IReadOnlyList<object?>)b;
            for (int i = 0; i < Math.Min(la.Count, lb.Count); i++)
            {
                if (!Equals(la[i], lb[i])) return Compare(la[i], lb[i], op);
            }
            return la.Count.CompareTo(lb.Count);
        }
        throw new JinjaTypeError($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    public static long Length(object? value) => value switch
    {
        string s => PyStrings.Length(s),
        List<object?> list => list.Count,
        object?[] tuple => tuple.Length,
        Dictionary<object, object?> dict => dict.Count,
        PyDictView view => view.Count,
        JinjaUndefined => 0,
        _ => throw new JinjaTypeError($"object of type '{TypeName(value)}' has no len()"),
    };

    /// <summary>The items a for loop (or a filter) visits; a dict yields its keys, a string its characters.</summary>
    public static IReadOnlyList<object?> Iterate(object? value) => value switch
    {
        List<object?> list => list,
        object?[] tuple => tuple,
        Dictionary<object, object?> dict => dict.Keys.Cast<object?>().ToList(),
        string s => PyStrings.Characters(s),
        JinjaGenerator generator => generator.Consume(),
        PyDictView view => view.Items(),
        JinjaUndefined => [],
        _ => throw new JinjaTypeError($"'{TypeName(value)}' object is not iterable"),
    };

    public static bool Contains(object? container, object? item)
    {
        switch (container)
        {
            case string s:
                if (item is not string sub) throw new JinjaTypeError($"'in <string>' requires string as left operand, not {TypeName(item)}");
                return s.Contains(sub, StringComparison.Ordinal);
            case Dictionary<object, object?> dict:
                if (!IsHashable(item)) throw new JinjaTypeError($"unhashable type: '{TypeName(item)}'");
                return item is not null && dict.ContainsKey(item);
            case List<object?> or object?[]:
                foreach (object? element in (IReadOnlyList<object?>)container)
                {
                    if (Equals(element, item)) return true;
                }
                return false;
            case JinjaUndefined:
                return false;
            case JinjaGenerator or PyDictView:
                return Iterate(container).Any(element => Equals(element, item));
            default:
                throw new JinjaTypeError($"argument of type '{TypeName(container)}' is not iterable");
        }
    }

    public static bool IsHashable(object? value) => value is null or string or long or double or bool or object?[] or JinjaUndefined;

    /// <summary>The indices a slice <c>[start:stop:step]</c> selects from a sequence of <paramref name="length"/>, as Python computes them.</summary>
    public static IEnumerable<long> SliceIndices(long length, long? start, long? stop, long? step)
    {
        long s = step ?? 1;
        if (s == 0) throw new JinjaTypeError("slice step cannot be zero");
        long lower = s > 0 ? 0 : -1, upper = s > 0 ? length : length - 1;
        long Bound(long? v, long fallback)
        {
            if (v is not { } x) return fallback;
            if (x < 0) return Math.Max(x + length, lower);
            return Math.Min(x, upper);
        }
        long from = Bound(start, s > 0 ? lower : upper);
        long to = Bound(stop, s > 0 ? upper : lower);
        if (s > 0)
        {
            for (long i = from; i < to; i += s) yield return i;
        }
        else
        {
            for (long i = from; i > to; i += s) yield return i;
        }
    }
}

/// <summary>A Python <c>TypeError</c>/<c>ValueError</c> inside the interpreter, before it is given a template position.</summary>
internal sealed class JinjaTypeError(string message) : Exception(message);
