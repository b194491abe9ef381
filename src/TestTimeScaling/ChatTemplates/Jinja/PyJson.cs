using System.Globalization;
using System.Text;

namespace TestTimeScaling;

/// <summary>
/// Python's <c>json.dumps(value, ensure_ascii=False, indent=..., separators=..., sort_keys=...)</c>, which is
/// transformers' <c>tojson</c> filter (Jinja's own <c>tojson</c> would HTML-escape and differ).
/// </summary>
internal static class PyJson
{
    public static string Dumps(object? value, string? indent, string? itemSeparator, string? keySeparator, bool sortKeys)
    {
        var sb = new StringBuilder();
        string items = itemSeparator ?? (indent is null ? ", " : ",");
        string keys = keySeparator ?? ": ";
        Write(sb, value, indent, items, keys, sortKeys, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, object? value, string? indent, string items, string keys, bool sortKeys, int level)
    {
        if (level > 100) throw new JinjaTypeError("tojson: value nested more than 100 deep");
        switch (value)
        {
            case null: sb.Append("null"); break;
            case bool b: sb.Append(b ? "true" : "false"); break;
            case long l: sb.Append(l.ToString(CultureInfo.InvariantCulture)); break;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : PyText.Float(d));
                break;
            case string s: WriteString(sb, s); break;
            case List<object?> or object?[]:
                var list = (IReadOnlyList<object?>)value;
                if (list.Count == 0) { sb.Append("[]"); break; }
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(items);
                    NewLine(sb, indent, level + 1);
                    Write(sb, list[i], indent, items, keys, sortKeys, level + 1);
                }
                NewLine(sb, indent, level);
                sb.Append(']');
                break;
            case Dictionary<object, object?> dict:
                if (dict.Count == 0) { sb.Append("{}"); break; }
                sb.Append('{');
                var pairs = dict.Select(p => (Key: KeyText(p.Key), p.Value)).ToList();
                if (sortKeys) pairs.Sort((x, y) => PyStrings.Compare(x.Key, y.Key));
                for (int i = 0; i < pairs.Count; i++)
                {
                    if (i > 0) sb.Append(items);
                    NewLine(sb, indent, level + 1);
                    WriteString(sb, pairs[i].Key);
                    sb.Append(keys);
                    Write(sb, pairs[i].Value, indent, items, keys, sortKeys, level + 1);
                }
                NewLine(sb, indent, level);
                sb.Append('}');
                break;
            default:
                throw new JinjaTypeError($"Object of type {PyOps.TypeName(value)} is not JSON serializable");
        }
    }

    private static string KeyText(object key) => key switch
    {
        string s => s,
        bool b => b ? "true" : "false",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => PyText.Float(d),
        _ => throw new JinjaTypeError($"keys must be str, int, float, bool or None, not {PyOps.TypeName(key)}"),
    };

    private static void NewLine(StringBuilder sb, string? indent, int level)
    {
        if (indent is null) return;
        sb.Append('\n');
        for (int i = 0; i < level; i++) sb.Append(indent);
    }

    private static void WriteString(StringBuilder sb, string s)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20) sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
