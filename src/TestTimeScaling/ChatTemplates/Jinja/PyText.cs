using System.Globalization;
using System.Text;

namespace TestTimeScaling;

/// <summary>Python's <c>str()</c> and <c>repr()</c> of template values, which is what <c>{{ value }}</c> prints.</summary>
internal static class PyText
{
    public static string Str(object? value) => value switch
    {
        null => "None",
        string s => s,
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => Float(d),
        JinjaUndefined => "",
        _ => Repr(value),
    };

    public static string Repr(object? value)
    {
        var sb = new StringBuilder();
        AppendRepr(sb, value, 0);
        return sb.ToString();
    }

    private static void AppendRepr(StringBuilder sb, object? value, int depth)
    {
        if (depth > 100) throw new InvalidOperationException("a value nested more than 100 deep cannot be printed");
        switch (value)
        {
            case string s:
                AppendStringRepr(sb, s);
                break;
            case List<object?> list:
                sb.Append('[');
                for (int i = 0; i < list.Count; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, list[i], depth + 1);
                }
                sb.Append(']');
                break;
            case object?[] tuple:
                sb.Append('(');
                for (int i = 0; i < tuple.Length; i++)
                {
                    if (i > 0) sb.Append(", ");
                    AppendRepr(sb, tuple[i], depth + 1);
                }
                if (tuple.Length == 1) sb.Append(',');
                sb.Append(')');
                break;
            case Dictionary<object, object?> dict:
                sb.Append('{');
                bool first = true;
                foreach (var (k, v) in dict)
                {
                    if (!first) sb.Append(", ");
                    first = false;
                    AppendRepr(sb, k, depth + 1);
                    sb.Append(": ");
                    AppendRepr(sb, v, depth + 1);
                }
                sb.Append('}');
                break;
            case JinjaNamespace ns:
                sb.Append("<Namespace {");
                bool firstAttr = true;
                foreach (var (k, v) in ns.Attributes)
                {
                    if (!firstAttr) sb.Append(", ");
                    firstAttr = false;
                    AppendStringRepr(sb, k);
                    sb.Append(": ");
                    AppendRepr(sb, v, depth + 1);
                }
                sb.Append("}>");
                break;
            case JinjaUndefined:
                sb.Append("Undefined");
                break;
            case JinjaCallable callable:
                sb.Append("<function ").Append(callable.Name).Append('>');
                break;
            case JinjaLoop:
                sb.Append("<LoopContext>");
                break;
            case JinjaGenerator generator:
                // Python adds the object's address, which no fixture can match; the kind is what is useful.
                sb.Append("<generator object ").Append(generator.Kind).Append('>');
                break;
            case PyDictView view:
                sb.Append(view.Kind).Append('(');
                AppendRepr(sb, view.Items(), depth + 1);
                sb.Append(')');
                break;
            default:
                sb.Append(Str(value));
                break;
        }
    }

    // Python's repr of a str: single quotes unless the text has ' and no ", escapes for \\, quotes and controls.
    private static void AppendStringRepr(StringBuilder sb, string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        sb.Append(quote);
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote)
                    {
                        sb.Append('\\').Append(c);
                        break;
                    }
                    int code = c;
                    int width = 1;
                    if (char.IsHighSurrogate(c) && i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]))
                    {
                        code = char.ConvertToUtf32(c, s[i + 1]);
                        width = 2;
                    }
                    if (IsPrintable(code)) sb.Append(s, i, width);
                    else if (code < 0x100) sb.Append("\\x").Append(code.ToString("x2", CultureInfo.InvariantCulture));
                    else if (code < 0x10000) sb.Append("\\u").Append(code.ToString("x4", CultureInfo.InvariantCulture));
                    else sb.Append("\\U").Append(code.ToString("x8", CultureInfo.InvariantCulture));
                    i += width - 1;
                    break;
            }
        }
        sb.Append(quote);
    }

    // str.isprintable: everything but controls, format characters, surrogates, private use, unassigned and
    // separators other than the space.
    private static bool IsPrintable(int code)
    {
        if (code == ' ') return true;
        var category = code is >= 0xD800 and <= 0xDFFF ? UnicodeCategory.Surrogate : CharUnicodeInfo.GetUnicodeCategory(code);
        return category is not (UnicodeCategory.Control or UnicodeCategory.Format or UnicodeCategory.Surrogate
            or UnicodeCategory.PrivateUse or UnicodeCategory.OtherNotAssigned or UnicodeCategory.LineSeparator
            or UnicodeCategory.ParagraphSeparator or UnicodeCategory.SpaceSeparator);
    }

    /// <summary>Python's <c>repr(float)</c>: the shortest round-trip digits, exponent form below 1e-4 and from 1e16.</summary>
    public static string Float(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // Find the shortest digit string that round-trips, as Python does.
        string shortest = d.ToString("R", CultureInfo.InvariantCulture);
        bool negative = shortest.StartsWith('-');
        if (negative) shortest = shortest[1..];
        int exponent = 0;
        int e = shortest.IndexOfAny(['E', 'e']);
        if (e >= 0)
        {
            exponent = int.Parse(shortest[(e + 1)..], CultureInfo.InvariantCulture);
            shortest = shortest[..e];
        }
        int dot = shortest.IndexOf('.');
        string digits = dot < 0 ? shortest : shortest[..dot] + shortest[(dot + 1)..];
        int pointPosition = (dot < 0 ? shortest.Length : dot) + exponent; // digits before the decimal point
        int leadingZeros = digits.Length - digits.TrimStart('0').Length;
        digits = digits.TrimStart('0');
        pointPosition -= leadingZeros;
        digits = digits.TrimEnd('0');
        if (digits.Length == 0) digits = "0";
        int decimalExponent = pointPosition - 1; // exponent of the first significant digit
        var sb = new StringBuilder();
        if (negative) sb.Append('-');
        if (decimalExponent < -4 || decimalExponent >= 16)
        {
            sb.Append(digits[0]);
            if (digits.Length > 1) sb.Append('.').Append(digits, 1, digits.Length - 1);
            sb.Append('e').Append(decimalExponent < 0 ? '-' : '+').Append(Math.Abs(decimalExponent).ToString("00", CultureInfo.InvariantCulture));
        }
        else if (pointPosition <= 0)
        {
            sb.Append("0.").Append('0', -pointPosition).Append(digits);
        }
        else if (pointPosition >= digits.Length)
        {
            sb.Append(digits).Append('0', pointPosition - digits.Length).Append(".0");
        }
        else
        {
            sb.Append(digits, 0, pointPosition).Append('.').Append(digits, pointPosition, digits.Length - pointPosition);
        }
        return sb.ToString();
    }
}
