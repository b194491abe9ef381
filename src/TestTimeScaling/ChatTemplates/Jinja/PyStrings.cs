using System.Globalization;
using System.Text;

namespace TestTimeScaling;

/// <summary>Python <c>str</c> semantics the templates rely on: whitespace, strip, split, case, code points.</summary>
internal static class PyStrings
{
    /// <summary>Python's <c>str.isspace</c> for one UTF-16 unit (the separators 0x1C-0x1F included, as Python counts them).</summary>
    public static bool IsSpace(char c) => char.IsWhiteSpace(c) || c is >= '\x1c' and <= '\x1f';

    public static string Strip(string s, string? chars = null) => RStrip(LStrip(s, chars), chars);

    public static string LStrip(string s, string? chars = null)
    {
        int i = 0;
        while (i < s.Length && Stripped(s[i], chars)) i++;
        return s[i..];
    }

    public static string RStrip(string s, string? chars = null)
    {
        int end = s.Length;
        while (end > 0 && Stripped(s[end - 1], chars)) end--;
        return s[..end];
    }

    private static bool Stripped(char c, string? chars) => chars is null ? IsSpace(c) : chars.Contains(c);

    /// <summary>Python's <c>str.split(sep, maxsplit)</c>; no separator splits on runs of whitespace.</summary>
    public static List<object?> Split(string s, string? separator, long maxSplit)
    {
        var parts = new List<object?>();
        if (separator is null)
        {
            int i = 0;
            while (true)
            {
                while (i < s.Length && IsSpace(s[i])) i++;
                if (i >= s.Length) break;
                if (maxSplit >= 0 && parts.Count == maxSplit)
                {
                    parts.Add(RStrip(s[i..]));
                    break;
                }
                int start = i;
                while (i < s.Length && !IsSpace(s[i])) i++;
                parts.Add(s[start..i]);
            }
            return parts;
        }
        if (separator.Length == 0) throw new ArgumentException("empty separator");
        int from = 0;
        while (maxSplit < 0 || parts.Count < maxSplit)
        {
            int at = s.IndexOf(separator, from, StringComparison.Ordinal);
            if (at < 0) break;
            parts.Add(s[from..at]);
            from = at + separator.Length;
        }
        parts.Add(s[from..]);
        return parts;
    }

    /// <summary>Python's <c>str.rsplit(sep, maxsplit)</c> with an explicit separator.</summary>
    public static List<object?> RSplit(string s, string separator, long maxSplit)
    {
        if (maxSplit < 0) return Split(s, separator, -1);
        var parts = new List<object?>();
        int end = s.Length;
        while (parts.Count < maxSplit)
        {
            int at = end == 0 ? -1 : s.LastIndexOf(separator, end - 1, StringComparison.Ordinal);
            if (at < 0 || at + separator.Length > end) break;
            parts.Insert(0, s[(at + separator.Length)..end]);
            end = at;
        }
        parts.Insert(0, s[..end]);
        return parts;
    }

    /// <summary>Python's <c>str.splitlines()</c> (without the line ends).</summary>
    public static List<string> SplitLines(string s)
    {
        var lines = new List<string>();
        int start = 0;
        for (int i = 0; i < s.Length; i++)
        {
            char c = s[i];
            if (c is '\n' or '\r' or '\v' or '\f' or '\x1c' or '\x1d' or '\x1e' or '\x85' or '\u2028' or '\u2029')
            {
                lines.Add(s[start..i]);
                if (c == '\r' && i + 1 < s.Length && s[i + 1] == '\n') i++;
                start = i + 1;
            }
        }
        if (start < s.Length) lines.Add(s[start..]);
        return lines;
    }

    /// <summary>Python's <c>str.islower()</c>: at least one cased character, and no upper-case one.</summary>
    public static bool IsLower(string s) => s.Any(c => char.IsLower(c) || char.IsUpper(c)) && !s.Any(char.IsUpper);

    /// <summary>Python's <c>str.isupper()</c>: at least one cased character, and no lower-case one.</summary>
    public static bool IsUpper(string s) => s.Any(c => char.IsLower(c) || char.IsUpper(c)) && !s.Any(char.IsLower);

    public static string Upper(string s) => s.ToUpperInvariant();

    public static string Lower(string s) => s.ToLowerInvariant();

    /// <summary>Python's <c>str.capitalize()</c>: the first character upper-cased, the rest lower-cased.</summary>
    public static string Capitalize(string s)
    {
        if (s.Length == 0) return s;
        int first = char.IsHighSurrogate(s[0]) && s.Length > 1 ? 2 : 1;
        return s[..first].ToUpperInvariant() + s[first..].ToLowerInvariant();
    }

    /// <summary>Python's <c>str.title()</c>: a letter after a non-letter is upper-cased, other letters lower-cased.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (Rune rune in s.EnumerateRunes())
        {
            bool cased = Rune.IsLetter(rune) && (Rune.IsUpper(rune) || Rune.IsLower(rune) || Rune.GetUnicodeCategory(rune) == UnicodeCategory.TitlecaseLetter);
            sb.Append((cased ? (previousCased ? Rune.ToLowerInvariant(rune) : Rune.ToUpperInvariant(rune)) : rune).ToString());
            previousCased = cased;
        }
        return sb.ToString();
    }

    /// <summary>The string as code points (Python's indexing unit), only when it has surrogate pairs; else null.</summary>
    public static int[]? CodePoints(string s)
    {
        bool any = false;
        foreach (char c in s)
        {
            if (char.IsSurrogate(c)) { any = true; break; }
        }
        if (!any) return null;
        var points = new List<int>(s.Length);
        foreach (Rune rune in s.EnumerateRunes()) points.Add(rune.Value);
        return points.ToArray();
    }

    public static long Length(string s) => CodePoints(s) is { } points ? points.Length : s.Length;

    /// <summary>The code points at the given indices, as a string.</summary>
    public static string Select(string s, IEnumerable<long> indices)
    {
        int[]? points = CodePoints(s);
        var sb = new StringBuilder();
        foreach (long i in indices)
        {
            if (points is null) sb.Append(s[(int)i]);
            else sb.Append(char.ConvertFromUtf32(points[i]));
        }
        return sb.ToString();
    }

    /// <summary>Each code point as its own string (iterating a Python string).</summary>
    public static List<object?> Characters(string s)
    {
        var list = new List<object?>(s.Length);
        foreach (Rune rune in s.EnumerateRunes()) list.Add(rune.ToString());
        return list;
    }

    /// <summary>Python ordering of strings: by code point, not by UTF-16 unit.</summary>
    public static int Compare(string a, string b)
    {
        var ea = a.EnumerateRunes();
        var eb = b.EnumerateRunes();
        while (true)
        {
            bool ha = ea.MoveNext(), hb = eb.MoveNext();
            if (!ha || !hb) return ha == hb ? 0 : ha ? 1 : -1;
            int c = ea.Current.Value.CompareTo(eb.Current.Value);
            if (c != 0) return c;
        }
    }
}
