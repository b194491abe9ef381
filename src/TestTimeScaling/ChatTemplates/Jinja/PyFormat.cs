using System.Globalization;
using System.Text;

namespace TestTimeScaling;

/// <summary>Python's <c>"..." % args</c> for the conversions templates use: <c>%s %r %d %i %f %x %%</c>, with width and precision.</summary>
internal static class PyFormat
{
    /// <summary>Python's <c>str.format</c> for plain fields: <c>{}</c>, <c>{0}</c>, <c>{name}</c>, <c>!s</c>/<c>!r</c>, <c>{{</c> and <c>}}</c>.</summary>
    public static string Braces(string format, JinjaCallArguments args)
    {
        var sb = new StringBuilder();
        int auto = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c == '}')
            {
                if (i + 1 < format.Length && format[i + 1] == '}') { sb.Append('}'); i++; continue; }
                throw new JinjaTypeError("Single '}' encountered in format string");
            }
            if (c != '{') { sb.Append(c); continue; }
            if (i + 1 < format.Length && format[i + 1] == '{') { sb.Append('{'); i++; continue; }
            int end = format.IndexOf('}', i + 1);
            if (end < 0) throw new JinjaTypeError("Single '{' encountered in format string");
            string field = format[(i + 1)..end];
            i = end;
            char conversion = 's';
            int bang = field.IndexOf('!');
            if (bang >= 0)
            {
                conversion = field.Length > bang + 1 ? field[bang + 1] : 's';
                field = field[..bang];
            }
            if (field.Contains(':') || field.Contains('.') || field.Contains('[')) throw new JinjaTypeError($"format field '{{{field}}}' is not supported (only plain fields)");
            object? value;
            if (field.Length == 0) value = Positional(args, auto++);
            else if (int.TryParse(field, NumberStyles.None, CultureInfo.InvariantCulture, out int index)) value = Positional(args, index);
            else value = args.Keywords.TryGetValue(field, out object? named) ? named : throw new JinjaTypeError($"KeyError: '{field}'");
            sb.Append(conversion == 'r' ? PyText.Repr(value) : PyText.Str(value));
        }
        return sb.ToString();
    }

    private static object? Positional(JinjaCallArguments args, int index) =>
        index < args.Positional.Count ? args.Positional[index] : throw new JinjaTypeError($"IndexError: Replacement index {index} out of range for positional args tuple");

    public static string Percent(string format, object? args)
    {
        IReadOnlyList<object?> values = args is object?[] tuple ? tuple : [args];
        // CPython lets an argument with __getitem__ (a dict, also a list) go unused; only tuples and scalars must be consumed.
        bool mapping = args is Dictionary<object, object?> or List<object?> or JinjaUndefined;
        var sb = new StringBuilder();
        int next = 0;
        for (int i = 0; i < format.Length; i++)
        {
            char c = format[i];
            if (c != '%') { sb.Append(c); continue; }
            if (++i >= format.Length) throw new JinjaTypeError("incomplete format");
            if (format[i] == '%') { sb.Append('%'); continue; }
            int specStart = i;
            while (i < format.Length && "-+ 0#.0123456789".Contains(format[i])) i++;
            if (i >= format.Length) throw new JinjaTypeError("incomplete format");
            string spec = format[specStart..i];
            char conversion = format[i];
            if (next >= values.Count) throw new JinjaTypeError("not enough arguments for format string");
            object? value = values[next++];
            bool left = spec.Contains('-');
            string[] parts = spec.TrimStart('-', '+', ' ', '0', '#').Split('.');
            int width = parts[0].Length > 0 ? int.Parse(parts[0], CultureInfo.InvariantCulture) : 0;
            int? precision = parts.Length > 1 ? int.Parse(parts[1].Length == 0 ? "0" : parts[1], CultureInfo.InvariantCulture) : null;
            string text = conversion switch
            {
                's' => PyText.Str(value),
                'r' => PyText.Repr(value),
                'd' or 'i' => value is double d ? ((long)Math.Truncate(d)).ToString(CultureInfo.InvariantCulture) : PyOps.ToLong(value).ToString(CultureInfo.InvariantCulture),
                'f' or 'F' => PyOps.ToDouble(value).ToString("F" + (precision ?? 6), CultureInfo.InvariantCulture),
                'x' => PyOps.ToLong(value).ToString("x", CultureInfo.InvariantCulture),
                _ => throw new JinjaTypeError($"unsupported format character '{conversion}'"),
            };
            if (conversion is 's' or 'r' && precision is { } p && text.Length > p) text = text[..p];
            bool zero = spec.StartsWith('0') && !left && conversion is not ('s' or 'r');
            sb.Append(left ? text.PadRight(width) : text.PadLeft(width, zero ? '0' : ' '));
        }
        if (next < values.Count && !mapping) throw new JinjaTypeError("not all arguments converted during string formatting");
        return sb.ToString();
    }
}
