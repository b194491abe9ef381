namespace TestTimeScaling;

/// <summary>
/// The global functions a chat template sees: Jinja's <c>range</c>, <c>namespace</c>, <c>dict</c>, and
/// transformers' <c>raise_exception</c> and <c>strftime_now</c>.
/// </summary>
internal static class JinjaGlobals
{
    // Jinja's sandbox refuses ranges longer than this (MAX_RANGE).
    private const long MaxRange = 100_000;

    public static void AddTo(JinjaScope scope, TimeProvider clock)
    {
        scope.Set("range", new JinjaFunction("range", Range));
        scope.Set("namespace", new JinjaFunction("namespace", (_, args, _) => Namespace(args)));
        scope.Set("dict", new JinjaFunction("dict", (_, args, _) => Dict(args)));
        scope.Set("raise_exception", new JinjaFunction("raise_exception", (interpreter, args, offset) =>
            throw interpreter.Raised(offset, PyText.Str(args.Get(0, "message", "")))));
        scope.Set("strftime_now", new JinjaFunction("strftime_now", (interpreter, args, offset) =>
        {
            if (args.Get(0, "format") is not string format) throw interpreter.Error(offset, "strftime_now needs a format string");
            return PyStrftime.Format(clock.GetLocalNow().DateTime, format);
        }));
    }

    private static object? Range(JinjaInterpreter interpreter, JinjaCallArguments args, int offset)
    {
        long start = 0, stop, step = 1;
        switch (args.Positional.Count)
        {
            case 1: stop = PyOps.ToLong(args.Positional[0]); break;
            case 2: start = PyOps.ToLong(args.Positional[0]); stop = PyOps.ToLong(args.Positional[1]); break;
            case 3: start = PyOps.ToLong(args.Positional[0]); stop = PyOps.ToLong(args.Positional[1]); step = PyOps.ToLong(args.Positional[2]); break;
            default: throw interpreter.Error(offset, $"range expected 1 to 3 arguments, got {args.Positional.Count}");
        }
        if (step == 0) throw interpreter.Error(offset, "range() arg 3 must not be zero");
        long count = step > 0 ? Math.Max(0, (stop - start + step - 1) / step) : Math.Max(0, (start - stop - step - 1) / -step);
        if (count > MaxRange) throw interpreter.Error(offset, $"range too big: {count} items, the sandbox allows {MaxRange}");
        var items = new List<object?>((int)count);
        for (long i = 0, v = start; i < count; i++, v += step) items.Add(v);
        return items;
    }

    private static JinjaNamespace Namespace(JinjaCallArguments args)
    {
        var ns = new JinjaNamespace();
        foreach (object? initial in args.Positional)
        {
            if (initial is not Dictionary<object, object?> dict) throw new JinjaTypeError("namespace() takes a mapping and keyword arguments");
            foreach (var (k, v) in dict) ns.Attributes[PyText.Str(k)] = v;
        }
        foreach (var (k, v) in args.Keywords) ns.Attributes[k] = v;
        return ns;
    }

    private static Dictionary<object, object?> Dict(JinjaCallArguments args)
    {
        var dict = PyDictComparer.NewDict();
        foreach (object? initial in args.Positional)
        {
            if (initial is not Dictionary<object, object?> source) throw new JinjaTypeError("dict() takes a mapping and keyword arguments");
            foreach (var (k, v) in source) dict[k] = v;
        }
        foreach (var (k, v) in args.Keywords) dict[k] = v;
        return dict;
    }
}
