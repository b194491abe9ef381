using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TestTimeScaling;

/// <summary>
/// The filters of <c>value | name(args)</c>: Jinja's built-ins that chat templates use, with Jinja's
/// arguments and results, and transformers' <c>tojson</c> (Python <c>json.dumps</c>, not HTML-escaped).
/// </summary>
internal static partial class JinjaFilters
{
    private delegate object? Filter(JinjaInterpreter interpreter, object? value, JinjaCallArguments args, int offset);

    private static readonly Dictionary<string, Filter> Filters = new(StringComparer.Ordinal)
    {
        ["abs"] = (_, v, _, _) => v switch { long l => (object)Math.Abs(l), double d => Math.Abs(d), bool b => b ? 1L : 0L, _ => throw Type("abs", v) },
        ["attr"] = (_, v, a, _) => v is Dictionary<object, object?> ? new JinjaUndefined("dict attributes are not items") : JinjaMembers.GetAttribute(v, Str(a.Get(0, "name"))),
        ["capitalize"] = (_, v, _, _) => PyStrings.Capitalize(PyText.Str(v)),
        ["center"] = (_, v, a, _) => Center(PyText.Str(v), (int)PyOps.ToLong(a.Get(0, "width", 80L))),
        ["count"] = (_, v, _, _) => PyOps.Length(v),
        ["default"] = Default,
        ["d"] = Default,
        ["dictsort"] = DictSort,
        ["escape"] = (_, v, _, _) => Escape(PyText.Str(v)),
        ["e"] = (_, v, _, _) => Escape(PyText.Str(v)),
        ["first"] = (_, v, _, _) => PyOps.Iterate(v) is { Count: > 0 } items ? items[0] : new JinjaUndefined("No first item, sequence was empty."),
        ["float"] = (_, v, a, _) => ToFloat(v, a.Get(0, "default", 0.0)),
        ["forceescape"] = (_, v, _, _) => Escape(PyText.Str(v)),
        ["format"] = (_, v, a, _) => PyFormat.Percent(PyText.Str(v), a.Positional.ToArray()),
        ["indent"] = Indent,
        ["int"] = (_, v, a, _) => ToInt(v, a.Get(0, "default", 0L), PyOps.ToLong(a.Get(1, "base", 10L))),
        ["items"] = (_, v, _, _) => new JinjaGenerator("do_items", () => v switch
        {
            JinjaUndefined => new List<object?>(),
            Dictionary<object, object?> dict => dict.Select(p => (object?)new object?[] { p.Key, p.Value }).ToList(),
            _ => throw new JinjaTypeError("Can only get item pairs from a mapping."),
        }),
        ["join"] = Join,
        ["last"] = (_, v, _, _) => v is JinjaGenerator or PyDictView ? throw new JinjaTypeError($"'{PyOps.TypeName(v)}' object is not reversible")
            : PyOps.Iterate(v) is { Count: > 0 } items ? items[^1] : new JinjaUndefined("No last item, sequence was empty."),
        ["length"] = (_, v, _, _) => PyOps.Length(v),
        ["list"] = (_, v, _, _) => PyOps.Iterate(v).ToList(),
        ["lower"] = (_, v, _, _) => PyStrings.Lower(PyText.Str(v)),
        ["map"] = Map,
        ["max"] = (i, v, a, o) => MinMax(i, v, a, o, max: true),
        ["min"] = (i, v, a, o) => MinMax(i, v, a, o, max: false),
        ["pprint"] = (_, v, _, _) => PyText.Repr(v),
        ["reject"] = (i, v, a, o) => Select(i, v, a, o, byAttribute: false, keep: false),
        ["rejectattr"] = (i, v, a, o) => Select(i, v, a, o, byAttribute: true, keep: false),
        ["replace"] = Replace,
        ["reverse"] = Reverse,
        ["batch"] = Batch,
        ["round"] = Round,
        ["safe"] = (_, v, _, _) => PyText.Str(v), // Markup(str(value)): a string from here on
        ["select"] = (i, v, a, o) => Select(i, v, a, o, byAttribute: false, keep: true),
        ["selectattr"] = (i, v, a, o) => Select(i, v, a, o, byAttribute: true, keep: true),
        ["sort"] = Sort,
        ["string"] = (_, v, _, _) => PyText.Str(v),
        ["striptags"] = (_, v, _, _) => string.Join(" ", PyStrings.Split(TagPattern().Replace(PyText.Str(v), ""), null, -1)),
        ["sum"] = Sum,
        ["title"] = (_, v, _, _) => Title(PyText.Str(v)),
        ["tojson"] = ToJson,
        ["trim"] = (_, v, a, _) => PyStrings.Strip(PyText.Str(v), a.Get(0, "chars") as string),
        ["truncate"] = Truncate,
        ["unique"] = Unique,
        ["upper"] = (_, v, _, _) => PyStrings.Upper(PyText.Str(v)),
        ["wordcount"] = (_, v, _, _) => (long)WordPattern().Matches(PyText.Str(v)).Count,
    };

    public static bool Exists(string name) => Filters.ContainsKey(name);

    public static object? Apply(JinjaInterpreter interpreter, string name, object? value, JinjaCallArguments arguments, int offset)
    {
        try
        {
            object? result = Filters[name](interpreter, value, arguments, offset);
            return result is string s ? interpreter.CheckLength(s, offset) : result;
        }
        catch (JinjaTypeError ex)
        {
            throw interpreter.Error(offset, $"filter '{name}': {ex.Message}");
        }
    }

    private static JinjaTypeError Type(string filter, object? value) => new($"{filter} does not accept a value of type '{PyOps.TypeName(value)}'");

    private static string Str(object? value) => value as string ?? throw new JinjaTypeError($"expected a string, got {PyOps.TypeName(value)}");

    private static object? Default(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        bool boolean = PyOps.IsTrue(args.Get(1, "boolean", false));
        return value is JinjaUndefined || (boolean && !PyOps.IsTrue(value)) ? args.Get(0, "default_value", "") : value;
    }

    private static object? DictSort(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        if (value is not Dictionary<object, object?> dict) throw Type("dictsort", value);
        bool caseSensitive = PyOps.IsTrue(args.Get(0, "case_sensitive", false));
        bool byValue = args.Get(1, "by", "key") is "value";
        bool reverse = PyOps.IsTrue(args.Get(2, "reverse", false));
        var pairs = dict.Select(p => new object?[] { p.Key, p.Value }).ToList();
        Comparison<object?[]> compare = (x, y) => PyOps.Compare(SortKey(x[byValue ? 1 : 0], caseSensitive), SortKey(y[byValue ? 1 : 0], caseSensitive), "<");
        pairs = StableSort(pairs, compare, reverse);
        return pairs.Cast<object?>().ToList();
    }

    private static List<T> StableSort<T>(List<T> items, Comparison<T> compare, bool reverse)
    {
        var indexed = items.Select((item, i) => (item, i)).ToList();
        try
        {
            indexed.Sort((x, y) =>
            {
                int c = compare(x.item, y.item);
                if (reverse) c = -c;
                return c != 0 ? c : x.i.CompareTo(y.i);
            });
        }
        catch (InvalidOperationException ex) when (ex.InnerException is JinjaTypeError inner)
        {
            throw inner; // List.Sort wraps what the comparison throws
        }
        return indexed.Select(p => p.item).ToList();
    }

    private static object? SortKey(object? value, bool caseSensitive) => !caseSensitive && value is string s ? PyStrings.Lower(s) : value;

    private static string Escape(string s) => s.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal)
        .Replace(">", "&gt;", StringComparison.Ordinal).Replace("\"", "&#34;", StringComparison.Ordinal).Replace("'", "&#39;", StringComparison.Ordinal);

    private static string Center(string s, int width)
    {
        int total = width - (int)PyStrings.Length(s);
        if (total <= 0) return s;
        // Python's str.center puts the odd space on the left when the total padding and the width are both odd.
        int left = total / 2 + (total & width & 1);
        return new string(' ', left) + s + new string(' ', total - left);
    }

    private static object? ToFloat(object? value, object? fallback)
    {
        switch (value)
        {
            case JinjaUndefined undefined: throw new JinjaTypeError(undefined.Hint); // float(Undefined) fails in Jinja
            case double d: return d;
            case long or bool: return PyOps.ToDouble(value);
            case string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed): return parsed;
            default: return fallback;
        }
    }

    private static object? ToInt(object? value, object? fallback, long numberBase)
    {
        switch (value)
        {
            case JinjaUndefined undefined: throw new JinjaTypeError(undefined.Hint); // int(Undefined) fails in Jinja
            case long l: return l;
            case bool b: return b ? 1L : 0L;
            case double d: return double.IsFinite(d) ? (long)Math.Truncate(d) : fallback;
            case string s:
                string t = s.Trim().Replace("_", "", StringComparison.Ordinal);
                try
                {
                    if (numberBase == 10 && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long parsed)) return parsed;
                    if (numberBase is 2 or 8 or 16)
                    {
                        string digits = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || t.StartsWith("0o", StringComparison.OrdinalIgnoreCase) || t.StartsWith("0b", StringComparison.OrdinalIgnoreCase) ? t[2..] : t;
                        return Convert.ToInt64(digits, (int)numberBase);
                    }
                }
                catch (FormatException) { }
                catch (OverflowException) { }
                return double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && double.IsFinite(f) ? (long)Math.Truncate(f) : fallback;
            default:
                return fallback;
        }
    }

    private static object? Indent(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        object? width = args.Get(0, "width", 4L);
        string indentation = width as string ?? new string(' ', (int)PyOps.ToLong(width));
        bool first = PyOps.IsTrue(args.Get(1, "first", false));
        bool blank = PyOps.IsTrue(args.Get(2, "blank", false));
        // Jinja appends "\n" to the value: only a string takes that (a list or number fails there in Python too).
        string s = (value as string ?? throw new JinjaTypeError($"indent needs a string, got {PyOps.TypeName(value)}")) + "\n";
        List<string> lines = PyStrings.SplitLines(s);
        string result;
        if (blank)
        {
            result = string.Join("\n" + indentation, lines);
        }
        else
        {
            var sb = new StringBuilder(lines[0]);
            for (int i = 1; i < lines.Count; i++) sb.Append('\n').Append(lines[i].Length > 0 ? indentation + lines[i] : lines[i]);
            result = sb.ToString();
        }
        return first ? indentation + result : result;
    }

    private static object? Join(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        string separator = PyText.Str(args.Get(0, "d", ""));
        object? attribute = args.Get(1, "attribute");
        var items = PyOps.Iterate(value).Select(item => attribute is null ? item : AttributePath(item, attribute));
        return string.Join(separator, items.Select(PyText.Str));
    }

    // Jinja's attribute arguments: "a.b" walks nested items, an integer indexes.
    private static object? AttributePath(object? item, object? attribute)
    {
        if (attribute is long index) return JinjaMembers.GetItem(item, index);
        foreach (string part in PyText.Str(attribute).Split('.'))
        {
            item = long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out long i) ? JinjaMembers.GetItem(item, i) : JinjaMembers.GetItem(item, part);
        }
        return item;
    }

    private static object? Map(JinjaInterpreter interpreter, object? value, JinjaCallArguments args, int offset) =>
        new JinjaGenerator("do_map", () => MapNow(interpreter, value, args, offset));

    private static List<object?> MapNow(JinjaInterpreter interpreter, object? value, JinjaCallArguments args, int offset)
    {
        // Jinja maps over nothing when the value is falsy (0, none, ''), without asking whether it is iterable.
        IReadOnlyList<object?> items = PyOps.IsTrue(value) ? PyOps.Iterate(value) : [];
        if (args.Keywords.TryGetValue("attribute", out object? attribute))
        {
            bool hasDefault = args.Keywords.TryGetValue("default", out object? fallback);
            return items.Select(item =>
            {
                object? v = AttributePath(item, attribute);
                return hasDefault && v is JinjaUndefined ? fallback : v;
            }).ToList();
        }
        if (args.Positional.Count == 0) throw new JinjaTypeError("map requires a filter name or attribute=");
        string filter = Str(args.Positional[0]);
        if (!Exists(filter)) throw new JinjaTypeError($"no filter named '{filter}'");
        var rest = new JinjaCallArguments(args.Positional.Skip(1).ToList(), args.Keywords);
        return items.Select(item => Apply(interpreter, filter, item, rest, offset)).ToList();
    }

    private static object? MinMax(JinjaInterpreter _, object? value, JinjaCallArguments args, int __, bool max)
    {
        bool caseSensitive = PyOps.IsTrue(args.Get(0, "case_sensitive", false));
        object? attribute = args.Get(1, "attribute");
        IReadOnlyList<object?> items = PyOps.Iterate(value);
        if (items.Count == 0) return new JinjaUndefined($"No aggregated item, sequence was empty.");
        object? best = items[0];
        foreach (object? item in items.Skip(1))
        {
            object? a = SortKey(attribute is null ? item : AttributePath(item, attribute), caseSensitive);
            object? b = SortKey(attribute is null ? best : AttributePath(best, attribute), caseSensitive);
            int c = PyOps.Compare(a, b, "<");
            if (max ? c > 0 : c < 0) best = item;
        }
        return best;
    }

    private static object? Select(JinjaInterpreter interpreter, object? value, JinjaCallArguments args, int offset, bool byAttribute, bool keep) =>
        new JinjaGenerator("select_or_reject", () => SelectNow(interpreter, value, args, offset, byAttribute, keep));

    private static List<object?> SelectNow(JinjaInterpreter interpreter, object? value, JinjaCallArguments args, int offset, bool byAttribute, bool keep)
    {
        int next = 0;
        object? attribute = null;
        if (byAttribute)
        {
            attribute = args.Get(0, "attribute") ?? throw new JinjaTypeError("missing the attribute to test");
            next = 1;
        }
        string? test = args.Positional.Count > next ? Str(args.Positional[next]) : null;
        if (test is not null && !JinjaTests.Exists(test)) throw new JinjaTypeError($"no test named '{test}'");
        var testArgs = new JinjaCallArguments(args.Positional.Skip(next + 1).ToList(), new Dictionary<string, object?>());
        var result = new List<object?>();
        if (!PyOps.IsTrue(value)) return result; // as Jinja: a falsy value selects nothing, iterable or not
        foreach (object? item in PyOps.Iterate(value))
        {
            object? subject = byAttribute ? AttributePath(item, attribute) : item;
            bool passed = test is null ? PyOps.IsTrue(subject) : JinjaTests.Run(interpreter, test, subject, testArgs, offset);
            if (passed == keep) result.Add(item);
        }
        return result;
    }

    private static object? Replace(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        string s = PyText.Str(value);
        string old = PyText.Str(args.Get(0, "old"));
        string replacement = PyText.Str(args.Get(1, "new"));
        object? count = args.Get(2, "count");
        return JinjaMembers.Replace(s, old, replacement, count is null ? -1 : PyOps.ToLong(count));
    }

    private static object? Round(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        long precision = PyOps.ToLong(args.Get(0, "precision", 0L));
        string method = PyText.Str(args.Get(1, "method", "common"));
        // Python's round(int, n) stays an int; floats round half to even.
        if (method == "common" && value is long or bool && precision >= 0) return PyOps.ToLong(value);
        double x = PyOps.ToDouble(value);
        double factor = Math.Pow(10, precision);
        return method switch
        {
            "common" => Math.Round(x, (int)Math.Clamp(precision, 0, 15), MidpointRounding.ToEven),
            "ceil" => Math.Ceiling(x * factor) / factor,
            "floor" => Math.Floor(x * factor) / factor,
            _ => throw new JinjaTypeError("method must be common, ceil or floor"),
        };
    }

    private static object? Sort(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        bool reverse = PyOps.IsTrue(args.Get(0, "reverse", false));
        bool caseSensitive = PyOps.IsTrue(args.Get(1, "case_sensitive", false));
        object? attribute = args.Get(2, "attribute");
        var items = PyOps.Iterate(value).ToList();
        return StableSort(items, (x, y) => PyOps.Compare(
            SortKey(attribute is null ? x : AttributePath(x, attribute), caseSensitive),
            SortKey(attribute is null ? y : AttributePath(y, attribute), caseSensitive), "<"), reverse);
    }

    private static object? Sum(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        object? attribute = args.Get(0, "attribute");
        object? total = args.Get(1, "start", 0L);
        foreach (object? item in PyOps.Iterate(value)) total = PyArithmetic.Apply("+", total, attribute is null ? item : AttributePath(item, attribute));
        return total;
    }

    // Jinja's title filter: each word (split at whitespace and -([{<) gets its first character upper-cased.
    private static string Title(string s)
    {
        var sb = new StringBuilder();
        foreach (string item in WordBeginning().Split(s))
        {
            if (item.Length == 0) continue;
            int first = char.IsHighSurrogate(item[0]) && item.Length > 1 ? 2 : 1;
            sb.Append(item[..first].ToUpperInvariant()).Append(item[first..].ToLowerInvariant());
        }
        return sb.ToString();
    }

    private static object? ToJson(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        if (args.Has(0, "ensure_ascii") && PyOps.IsTrue(args.Get(0, "ensure_ascii")))
            throw new JinjaTypeError("ensure_ascii=True is not supported");
        object? indent = args.Get(1, "indent");
        string? indentText = indent switch
        {
            null => null,
            string s => s,
            _ => PyOps.ToLong(indent) is var n && n >= 0 ? new string(' ', (int)n) : "",
        };
        string? itemSeparator = null, keySeparator = null;
        if (args.Get(2, "separators") is { } separators)
        {
            var pair = PyOps.Iterate(separators);
            if (pair.Count != 2) throw new JinjaTypeError("separators must be a pair (item, key)");
            itemSeparator = Str(pair[0]);
            keySeparator = Str(pair[1]);
        }
        bool sortKeys = PyOps.IsTrue(args.Get(3, "sort_keys", false));
        return PyJson.Dumps(value, indentText, itemSeparator, keySeparator, sortKeys);
    }

    private static object? Truncate(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        string s = PyText.Str(value);
        int length = (int)PyOps.ToLong(args.Get(0, "length", 255L));
        bool killWords = PyOps.IsTrue(args.Get(1, "killwords", false));
        string end = PyText.Str(args.Get(2, "end", "..."));
        long leeway = PyOps.ToLong(args.Get(3, "leeway", 5L));
        if (s.Length <= length + leeway) return s;
        if (killWords) return s[..Math.Max(0, length - end.Length)] + end;
        string cut = s[..Math.Max(0, length - end.Length)];
        int space = cut.LastIndexOf(' ');
        return (space >= 0 ? cut[..space] : cut) + end;
    }

    private static object? Unique(JinjaInterpreter interpreter, object? value, JinjaCallArguments args, int offset) =>
        new JinjaGenerator("do_unique", () => UniqueNow(value, args));

    private static List<object?> UniqueNow(object? value, JinjaCallArguments args)
    {
        bool caseSensitive = PyOps.IsTrue(args.Get(0, "case_sensitive", false));
        object? attribute = args.Get(1, "attribute");
        var seen = new List<object?>();
        var result = new List<object?>();
        foreach (object? item in PyOps.Iterate(value))
        {
            object? key = SortKey(attribute is null ? item : AttributePath(item, attribute), caseSensitive);
            if (!PyOps.IsHashable(key)) throw new JinjaTypeError($"unhashable type: '{PyOps.TypeName(key)}'"); // Jinja keeps a set
            if (seen.Any(s => PyOps.Equals(s, key))) continue;
            seen.Add(key);
            result.Add(item);
        }
        return result;
    }

    // reversed() of a list is a one-shot iterator in Python; a string reverses to a string.
    private static object? Reverse(JinjaInterpreter _, object? value, JinjaCallArguments __, int ___) => value switch
    {
        string s => PyStrings.Select(s, Enumerable.Range(0, (int)PyStrings.Length(s)).Reverse().Select(i => (long)i)),
        List<object?> or object?[] => new JinjaGenerator("list_reverseiterator", () => PyOps.Iterate(value).Reverse().ToList()),
        JinjaUndefined => new JinjaGenerator("reversed", () => []), // reversed() accepts Undefined (it has __len__ and __getitem__)
        _ => PyOps.Iterate(value).Reverse().ToList(),
    };

    private static object? Batch(JinjaInterpreter _, object? value, JinjaCallArguments args, int __)
    {
        long size = PyOps.ToLong(args.Get(0, "linecount"));
        if (size <= 0) throw new JinjaTypeError("batch size must be positive");
        bool fill = args.Has(1, "fill_with");
        object? filler = args.Get(1, "fill_with");
        return new JinjaGenerator("do_batch", () =>
        {
            var batches = new List<object?>();
            List<object?>? current = null;
            foreach (object? item in PyOps.Iterate(value))
            {
                current ??= new List<object?>();
                current.Add(item);
                if (current.Count == size) { batches.Add(current); current = null; }
            }
            if (current is not null)
            {
                while (fill && current.Count < size) current.Add(filler);
                batches.Add(current);
            }
            return batches;
        });
    }

    [GeneratedRegex(@"([-\s({\[<]+)")]
    private static partial Regex WordBeginning();

    [GeneratedRegex(@"\w+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"(<!--.*?-->|<[^>]*>)", RegexOptions.Singleline)]
    private static partial Regex TagPattern();
}
