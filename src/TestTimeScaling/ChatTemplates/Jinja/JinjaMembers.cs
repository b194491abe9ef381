namespace TestTimeScaling;

/// <summary>
/// <c>obj.name</c> and <c>obj[key]</c> as Jinja resolves them (attribute first for <c>.</c>, item first for
/// <c>[]</c>), and the methods of str, dict and list that an immutable sandbox lets templates call.
/// </summary>
internal static class JinjaMembers
{
    public static object? GetAttribute(object? target, string name)
    {
        if (target is JinjaUndefined undefined) throw new JinjaTypeError(undefined.Hint);
        object? method = Method(target, name);
        if (method is not null) return method;
        return target switch
        {
            Dictionary<object, object?> dict => dict.TryGetValue(name, out object? value) ? value : new JinjaUndefined($"'dict object' has no attribute '{name}'"),
            JinjaNamespace ns => ns.Attributes.TryGetValue(name, out object? value) ? value : new JinjaUndefined($"'Namespace' has no attribute '{name}'"),
            JinjaLoop loop => loop.GetAttribute(name),
            _ => new JinjaUndefined($"'{PyOps.TypeName(target)} object' has no attribute '{name}'"),
        };
    }

    public static object? GetItem(object? target, object? key)
    {
        if (target is JinjaUndefined undefined) throw new JinjaTypeError(undefined.Hint);
        switch (target)
        {
            case Dictionary<object, object?> dict:
                if (key is not null && PyOps.IsHashable(key) && dict.TryGetValue(key, out object? value)) return value;
                break;
            case List<object?> or object?[] when key is long or bool:
                var list = (IReadOnlyList<object?>)target;
                long index = PyOps.ToLong(key);
                if (index < 0) index += list.Count;
                if (index >= 0 && index < list.Count) return list[(int)index];
                return new JinjaUndefined($"{PyOps.TypeName(target)} index {PyOps.ToLong(key)} out of range");
            case string s when key is long or bool:
                long length = PyStrings.Length(s);
                long at = PyOps.ToLong(key);
                if (at < 0) at += length;
                if (at >= 0 && at < length) return PyStrings.Select(s, [at]);
                return new JinjaUndefined($"string index {PyOps.ToLong(key)} out of range");
            case JinjaNamespace ns when key is string name:
                return ns.Attributes.TryGetValue(name, out object? attribute) ? attribute : new JinjaUndefined($"'Namespace' has no attribute '{name}'");
            case JinjaLoop loop when key is string name:
                return loop.GetAttribute(name);
        }
        if (key is string attributeName && Method(target, attributeName) is { } method) return method;
        return new JinjaUndefined($"'{PyOps.TypeName(target)} object' has no element {PyText.Repr(key)}");
    }

    private static JinjaFunction? Method(object? target, string name) => target switch
    {
        string s => StringMethod(s, name),
        Dictionary<object, object?> dict => DictMethod(dict, name),
        List<object?> or object?[] => ListMethod((IReadOnlyList<object?>)target!, name),
        _ => null,
    };

    private static JinjaFunction Bound(string name, Func<JinjaCallArguments, object?> body) =>
        new(name, (_, args, _) => body(args));

    private static string? OptionalString(object? value, string method) => value switch
    {
        null => null,
        string s => s,
        _ => throw new JinjaTypeError($"{method} arg must be None or str, not {PyOps.TypeName(value)}"),
    };

    private static string RequiredString(object? value, string method) =>
        value as string ?? throw new JinjaTypeError($"{method}() argument must be str, not {PyOps.TypeName(value)}");

    private static JinjaFunction? StringMethod(string s, string name) => name switch
    {
        "strip" => Bound(name, a => PyStrings.Strip(s, OptionalString(a.Get(0, "chars"), "strip"))),
        "lstrip" => Bound(name, a => PyStrings.LStrip(s, OptionalString(a.Get(0, "chars"), "lstrip"))),
        "rstrip" => Bound(name, a => PyStrings.RStrip(s, OptionalString(a.Get(0, "chars"), "rstrip"))),
        "split" => Bound(name, a =>
        {
            string? separator = OptionalString(a.Get(0, "sep"), "split");
            if (separator is { Length: 0 }) throw new JinjaTypeError("empty separator");
            return PyStrings.Split(s, separator, PyOps.ToLong(a.Get(1, "maxsplit", -1L)));
        }),
        "rsplit" => Bound(name, a =>
        {
            string? separator = OptionalString(a.Get(0, "sep"), "rsplit");
            long max = PyOps.ToLong(a.Get(1, "maxsplit", -1L));
            if (separator is null) return PyStrings.Split(s, null, max < 0 ? -1 : max);
            if (separator.Length == 0) throw new JinjaTypeError("empty separator");
            return PyStrings.RSplit(s, separator, max);
        }),
        "splitlines" => Bound(name, _ => PyStrings.SplitLines(s).Cast<object?>().ToList()),
        "startswith" => Bound(name, a => Affix(a.Get(0, "prefix"), p => s.StartsWith(p, StringComparison.Ordinal), name)),
        "endswith" => Bound(name, a => Affix(a.Get(0, "suffix"), p => s.EndsWith(p, StringComparison.Ordinal), name)),
        "upper" => Bound(name, _ => PyStrings.Upper(s)),
        "lower" => Bound(name, _ => PyStrings.Lower(s)),
        "title" => Bound(name, _ => PyStrings.Title(s)),
        "capitalize" => Bound(name, _ => PyStrings.Capitalize(s)),
        "replace" => Bound(name, a => Replace(s, RequiredString(a.Get(0, "old"), name), RequiredString(a.Get(1, "new"), name), PyOps.ToLong(a.Get(2, "count", -1L)))),
        "find" => Bound(name, a => (long)s.IndexOf(RequiredString(a.Get(0, "sub"), name), StringComparison.Ordinal)),
        "rfind" => Bound(name, a => (long)s.LastIndexOf(RequiredString(a.Get(0, "sub"), name), StringComparison.Ordinal)),
        "count" => Bound(name, a => CountOccurrences(s, RequiredString(a.Get(0, "sub"), name))),
        "join" => Bound(name, a => string.Join(s, PyOps.Iterate(a.Get(0, "iterable")).Select(item => item as string
            ?? throw new JinjaTypeError($"sequence item: expected str instance, {PyOps.TypeName(item)} found")))),
        "format" => Bound(name, a => PyFormat.Braces(s, a)),
        "isdigit" => Bound(name, _ => s.Length > 0 && s.All(char.IsDigit)),
        "isalpha" => Bound(name, _ => s.Length > 0 && s.All(char.IsLetter)),
        "isalnum" => Bound(name, _ => s.Length > 0 && s.All(char.IsLetterOrDigit)),
        "isspace" => Bound(name, _ => s.Length > 0 && s.All(PyStrings.IsSpace)),
        "isupper" => Bound(name, _ => PyStrings.IsUpper(s)),
        "islower" => Bound(name, _ => PyStrings.IsLower(s)),
        _ => null,
    };

    private static bool Affix(object? affix, Func<string, bool> test, string method) => affix switch
    {
        string one => test(one),
        object?[] several => several.Any(item => test(RequiredString(item, method))),
        _ => throw new JinjaTypeError($"{method} first arg must be str or a tuple of str, not {PyOps.TypeName(affix)}"),
    };

    /// <summary>Python's <c>str.replace(old, new, count)</c>; a negative count replaces all.</summary>
    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) return old.Length == 0 ? string.Join(replacement, ["", .. PyStrings.Characters(s).Cast<string>(), ""]) : s.Replace(old, replacement, StringComparison.Ordinal);
        var sb = new System.Text.StringBuilder();
        int from = 0;
        for (long done = 0; done < count; done++)
        {
            int at = s.IndexOf(old, from, StringComparison.Ordinal);
            if (at < 0 || old.Length == 0) break;
            sb.Append(s, from, at - from).Append(replacement);
            from = at + old.Length;
        }
        return sb.Append(s, from, s.Length - from).ToString();
    }

    private static long CountOccurrences(string s, string sub)
    {
        if (sub.Length == 0) return PyStrings.Length(s) + 1;
        long n = 0;
        for (int at = s.IndexOf(sub, StringComparison.Ordinal); at >= 0; at = s.IndexOf(sub, at + sub.Length, StringComparison.Ordinal)) n++;
        return n;
    }

    private static JinjaFunction? DictMethod(Dictionary<object, object?> dict, string name) => name switch
    {
        "items" => Bound(name, _ => new PyDictView("dict_items", dict)),
        "keys" => Bound(name, _ => new PyDictView("dict_keys", dict)),
        "values" => Bound(name, _ => new PyDictView("dict_values", dict)),
        "get" => Bound(name, a =>
        {
            object? key = a.Get(0, "key");
            return key is not null && PyOps.IsHashable(key) && dict.TryGetValue(key, out object? value) ? value : a.Get(1, "default");
        }),
        "copy" => Bound(name, _ => new Dictionary<object, object?>(dict, PyDictComparer.Instance)),
        "pop" or "popitem" or "setdefault" or "update" or "clear" => Unsafe("dict", name),
        _ => null,
    };

    private static JinjaFunction? ListMethod(IReadOnlyList<object?> list, string name) => name switch
    {
        "index" => Bound(name, a =>
        {
            object? item = a.Get(0, "value");
            for (int i = 0; i < list.Count; i++)
            {
                if (PyOps.Equals(list[i], item)) return (long)i;
            }
            throw new JinjaTypeError($"{PyText.Repr(item)} is not in list");
        }),
        "count" => Bound(name, a => (long)list.Count(x => PyOps.Equals(x, a.Get(0, "value")))),
        "copy" => Bound(name, _ => list.ToList()),
        "append" or "extend" or "insert" or "pop" or "remove" or "clear" or "sort" or "reverse" => Unsafe("list", name),
        _ => null,
    };

    // transformers renders in Jinja's ImmutableSandboxedEnvironment, which refuses methods that change a value.
    private static JinjaFunction Unsafe(string type, string name) =>
        new(name, (_, _, _) => throw new JinjaTypeError($"access to attribute '{name}' of '{type}' object is unsafe (templates render in an immutable sandbox)"));
}
