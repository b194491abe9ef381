using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TestTimeScaling.Torch;

/// <summary>
/// Translates the Oniguruma patterns of tokenizer.json (Hugging Face's Rust library compiles them with
/// Oniguruma, Ruby syntax) into .NET regular expressions that match on code points. .NET's engine works on
/// UTF-16 units, so <c>\p{L}</c> there misses a letter written as a surrogate pair; here every construct that
/// matches one character (classes, properties, <c>\s</c>, <c>\w</c>, <c>.</c>) becomes an alternation of the
/// Basic Multilingual Plane part and explicit surrogate pairs for the astral part. Texts are given to the
/// result with lone surrogates already replaced, so a surrogate never stands alone.
/// </summary>
/// <remarks>
/// Supported: alternation, groups (capturing groups match but capture nothing), lookahead and lookbehind,
/// atomic groups, the flags <c>i</c> and <c>m</c> (Ruby's dot-all), greedy, lazy, possessive and stacked
/// quantifiers, classes with ranges, negation, nesting, intersection (<c>&amp;&amp;</c>) and POSIX brackets,
/// Unicode general categories, <c>\s \S \d \D \w \W \h \H \b \B \A \z \Z ^ $</c>. Anything else (back
/// references, <c>\G</c>, scripts) is refused with <see cref="NotSupportedException"/>; a malformed pattern
/// raises <see cref="FormatException"/>.
/// </remarks>
internal sealed class OnigurumaPattern
{
    private static readonly Dictionary<string, Regex> Cache = new(StringComparer.Ordinal);
    // Alphabetic = letters, letter numbers and Other_Alphabetic; of the latter, marks are covered where it is
    // used (\w) and the circled and squared Latin letters are the symbols it adds.
    private static readonly Lazy<CodePointSet> Alphabetic = new(() => CodePointSet.Union(
        [CodePointSet.OfCategories([UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter,
            UnicodeCategory.ModifierLetter, UnicodeCategory.OtherLetter, UnicodeCategory.LetterNumber]),
         CodePointSet.FromRanges([(0x24B6, 0x24E9), (0x1F130, 0x1F149), (0x1F150, 0x1F169), (0x1F170, 0x1F189)])]));

    private static readonly Lazy<CodePointSet> Word = new(() => CodePointSet.Union(
        [Alphabetic.Value, CodePointSet.OfCategories([UnicodeCategory.NonSpacingMark, UnicodeCategory.SpacingCombiningMark,
            UnicodeCategory.EnclosingMark, UnicodeCategory.DecimalDigitNumber, UnicodeCategory.ConnectorPunctuation])]));
    /// <summary>Oniguruma's Unicode <c>\w</c> inside a class: Alphabetic, marks, decimal digits, connector punctuation.</summary>
    public static CodePointSet WordSet => Word.Value;

    private readonly int[] _cps;
    private int _pos;

    private OnigurumaPattern(string pattern)
    {
        var cps = new List<int>(pattern.Length);
        foreach (Rune rune in pattern.EnumerateRunes()) cps.Add(rune.Value);
        _cps = [.. cps];
    }

    /// <summary>The compiled .NET regex for an Oniguruma pattern (cached: tokenizers of one family share them).</summary>
    /// <exception cref="FormatException">The pattern is malformed.</exception>
    /// <exception cref="NotSupportedException">The pattern uses a construct this translator does not cover.</exception>
    public static Regex Compile(string pattern)
    {
        lock (Cache)
        {
            if (Cache.TryGetValue(pattern, out Regex? cached)) return cached;
        }
        string translated = Translate(pattern);
        Regex regex;
        try
        {
            regex = new Regex(translated, RegexOptions.CultureInvariant | RegexOptions.Compiled, TimeSpan.FromSeconds(10));
        }
        catch (ArgumentException ex)
        {
            throw new FormatException($"the pattern {pattern} is not a valid regular expression: {ex.Message}", ex);
        }
        lock (Cache)
        {
            if (Cache.Count > 256) Cache.Clear();
            Cache[pattern] = regex;
        }
        return regex;
    }

    /// <summary>The .NET pattern text for an Oniguruma pattern.</summary>
    public static string Translate(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var parser = new OnigurumaPattern(pattern);
        string result = parser.ParseAlternation(new Flags(false, false), depth: 0);
        if (parser._pos < parser._cps.Length) throw new FormatException($"unbalanced ')' in the pattern {pattern}");
        return result;
    }

    /// <summary>A .NET construct that matches exactly one code point of <paramref name="set"/>.</summary>
    public static string Emit(CodePointSet set)
    {
        var bmp = new StringBuilder();
        var astral = new List<string>();
        foreach (var (lo, hi) in set.Ranges)
        {
            // The BMP part leaves the surrogate block out: those units only ever come in pairs here.
            foreach (var (a, b) in Subtract(lo, Math.Min(hi, 0xFFFF), 0xD800, 0xDFFF))
                bmp.Append(Unit(a)).Append(a == b ? "" : "-" + Unit(b));
            if (hi >= 0x10000) AddAstral(Math.Max(lo, 0x10000), hi, astral);
        }
        if (astral.Count == 0) return bmp.Length == 0 ? "(?!)" : $"[{bmp}]";
        // The astral alternatives sit behind a high-surrogate guard: a BMP character outside the set is
        // rejected by one class test instead of by every alternative in turn.
        string pairs = "(?=[\\uD800-\\uDBFF])(?:" + string.Join("|", astral) + ")";
        return bmp.Length > 0 ? $"(?:[{bmp}]|{pairs})" : $"(?:{pairs})";
    }

    private static IEnumerable<(int, int)> Subtract(int lo, int hi, int cutLo, int cutHi)
    {
        if (lo > hi) yield break;
        if (hi < cutLo || lo > cutHi) { yield return (lo, hi); yield break; }
        if (lo < cutLo) yield return (lo, cutLo - 1);
        if (hi > cutHi) yield return (cutHi + 1, hi);
    }

    private static void AddAstral(int lo, int hi, List<string> into)
    {
        int hsLo = 0xD800 + ((lo - 0x10000) >> 10), hsHi = 0xD800 + ((hi - 0x10000) >> 10);
        int lsLo = 0xDC00 + ((lo - 0x10000) & 0x3FF), lsHi = 0xDC00 + ((hi - 0x10000) & 0x3FF);
        if (hsLo == hsHi)
        {
            into.Add(Unit(hsLo) + LowRange(lsLo, lsHi));
            return;
        }
        if (lsLo != 0xDC00) { into.Add(Unit(hsLo) + LowRange(lsLo, 0xDFFF)); hsLo++; }
        int fullHi = lsHi == 0xDFFF ? hsHi : hsHi - 1;
        if (fullHi >= hsLo) into.Add((hsLo == fullHi ? Unit(hsLo) : $"[{Unit(hsLo)}-{Unit(fullHi)}]") + LowRange(0xDC00, 0xDFFF));
        if (lsHi != 0xDFFF) into.Add(Unit(hsHi) + LowRange(0xDC00, lsHi));
    }

    private static string LowRange(int lo, int hi) => lo == hi ? Unit(lo) : $"[{Unit(lo)}-{Unit(hi)}]";

    private static string Unit(int value) => $"\\u{value:X4}";

    private static string Literal(int cp) => cp <= 0xFFFF ? Unit(cp) : new Rune(cp).ToString() is var s ? Unit(s[0]) + Unit(s[1]) : "";

    private readonly record struct Flags(bool IgnoreCase, bool DotAll);

    private bool AtEnd => _pos >= _cps.Length;
    private int Peek(int ahead = 0) => _pos + ahead < _cps.Length ? _cps[_pos + ahead] : -1;
    private string Source => string.Concat(_cps.Select(c => char.ConvertFromUtf32(c is >= 0xD800 and <= 0xDFFF ? 0xFFFD : c)));

    private string ParseAlternation(Flags flags, int depth)
    {
        if (depth > 64) throw new NotSupportedException("the pattern nests groups more than 64 deep");
        var branches = new List<string>();
        while (true)
        {
            branches.Add(ParseSequence(ref flags, depth));
            if (Peek() != '|') break;
            _pos++;
        }
        return string.Join("|", branches);
    }

    private string ParseSequence(ref Flags flags, int depth)
    {
        var sb = new StringBuilder();
        while (!AtEnd && Peek() != '|' && Peek() != ')')
        {
            string? atom = ParseAtom(ref flags, depth, out bool quantifiable);
            if (atom is null) continue;
            sb.Append(ParseQuantifiers(atom, quantifiable));
        }
        return sb.ToString();
    }

    private string ParseQuantifiers(string atom, bool quantifiable)
    {
        bool quantified = false;
        while (!AtEnd)
        {
            string? quantifier = TryQuantifier(out bool interval);
            if (quantifier is null) break;
            if (!quantifiable) throw new FormatException($"a quantifier follows nothing quantifiable in the pattern {Source}");
            // Stacked quantifiers (X{3}+, X**) repeat the quantified atom.
            if (quantified) atom = "(?:" + atom + ")";
            atom += quantifier;
            quantified = true;
            if (Peek() == '?') { _pos++; atom += "?"; }
            else if (Peek() == '+' && !interval) { _pos++; atom = "(?>" + atom + ")"; }
        }
        return atom;
    }

    private string? TryQuantifier(out bool interval)
    {
        interval = false;
        switch (Peek())
        {
            case '*': _pos++; return "*";
            case '+': _pos++; return "+";
            case '?': _pos++; return "?";
            case '{':
                int save = _pos;
                _pos++;
                int? min = ReadNumber();
                int? max = min;
                if (Peek() == ',') { _pos++; max = ReadNumber(); if (max is null && min is null) { _pos = save; return null; } }
                else if (min is null) { _pos = save; return null; }
                if (Peek() != '}') { _pos = save; return null; }
                _pos++;
                if (max is not null && min is not null && max < min) throw new FormatException($"the interval {{{min},{max}}} is empty in the pattern {Source}");
                interval = true;
                return max is null ? $"{{{min ?? 0},}}" : $"{{{min ?? 0},{max}}}";
            default:
                return null;
        }
    }

    private int? ReadNumber()
    {
        int start = _pos;
        long value = 0;
        while (Peek() is >= '0' and <= '9')
        {
            value = value * 10 + (Peek() - '0');
            if (value > 100_000) throw new NotSupportedException($"a repeat count above 100000 in the pattern {Source}");
            _pos++;
        }
        return _pos == start ? null : (int)value;
    }

    private string? ParseAtom(ref Flags flags, int depth, out bool quantifiable)
    {
        quantifiable = true;
        int c = _cps[_pos++];
        switch (c)
        {
            case '(':
                return ParseGroup(ref flags, depth, out quantifiable);
            case '[':
                return Emit(ParseClass(flags, depth));
            case '.':
                return Emit(flags.DotAll ? CodePointSet.FromRanges([(0, CodePointSet.MaxCodePoint)]) : CodePointSet.FromRanges([('\n', '\n')]).Complement());
            case '^':
                quantifiable = false;
                return "(?<![^\\n])";
            case '$':
                quantifiable = false;
                return "(?![^\\n])";
            case '\\':
                return ParseEscape(flags, out quantifiable);
            case '*' or '+' or '?':
                throw new FormatException($"a quantifier follows nothing in the pattern {Source}");
            default:
                return LiteralAtom(c, flags);
        }
    }

    private static string LiteralAtom(int cp, Flags flags)
        => flags.IgnoreCase ? Emit(CodePointSet.FromRanges([(cp, cp)]).WithCaseVariants()) : Literal(cp);

    private string? ParseGroup(ref Flags flags, int depth, out bool quantifiable)
    {
        quantifiable = true;
        string open = "(?:";
        Flags inner = flags;
        if (Peek() == '?')
        {
            _pos++;
            int k = AtEnd ? -1 : _cps[_pos++];
            switch (k)
            {
                case ':': break;
                case '=': open = "(?="; quantifiable = false; break;
                case '!': open = "(?!"; quantifiable = false; break;
                case '>': open = "(?>"; break;
                case '#':
                    while (!AtEnd && Peek() != ')') _pos++;
                    Expect(')');
                    return null;
                case '<' when Peek() is '=' or '!':
                    open = _cps[_pos++] == '=' ? "(?<=" : "(?<!";
                    quantifiable = false;
                    break;
                case '<' or 'P' or '\'':
                    if (k == 'P') Expect('<');
                    int close = k == '\'' ? '\'' : '>';
                    while (!AtEnd && Peek() != close) _pos++;
                    Expect(close);
                    break;
                default:
                    _pos--;
                    bool on = true;
                    while (!AtEnd && Peek() is not (':' or ')'))
                    {
                        int f = _cps[_pos++];
                        if (f == '-') on = false;
                        else if (f == 'i') inner = inner with { IgnoreCase = on };
                        else if (f == 'm') inner = inner with { DotAll = on };
                        else throw new NotSupportedException($"the group flag '{char.ConvertFromUtf32(f)}' in the pattern {Source}");
                    }
                    if (AtEnd) throw new FormatException($"an unclosed group in the pattern {Source}");
                    if (_cps[_pos++] == ')')
                    {
                        // (?i) applies to the rest of the enclosing group.
                        flags = inner;
                        return null;
                    }
                    break;
            }
        }
        string body = ParseAlternation(inner, depth + 1);
        Expect(')');
        return open + body + ")";
    }

    private void Expect(int c)
    {
        if (AtEnd || _cps[_pos] != c) throw new FormatException($"expected '{char.ConvertFromUtf32(c)}' at {_pos} in the pattern {Source}");
        _pos++;
    }

    private string ParseEscape(Flags flags, out bool quantifiable)
    {
        quantifiable = true;
        if (AtEnd) throw new FormatException($"the pattern ends with a backslash: {Source}");
        int c = _cps[_pos];
        switch (c)
        {
            case 'A': _pos++; quantifiable = false; return "\\A";
            case 'z': _pos++; quantifiable = false; return "\\z";
            case 'Z': _pos++; quantifiable = false; return "(?=\\n?\\z)";
            case 'b' or 'B':
                _pos++;
                quantifiable = false;
                string w = Emit(Word.Value);
                return c == 'b' ? $"(?:(?<={w})(?!{w})|(?<!{w})(?={w}))" : $"(?:(?<={w})(?={w})|(?<!{w})(?!{w}))";
            case 'w' or 'W':
                _pos++;
                // Outside a class Oniguruma's \w also takes the Latin-1 digits ² ³ ¹ and fractions ¼ ½ ¾.
                var word = CodePointSet.Union([Word.Value, CodePointSet.FromRanges([(0xB2, 0xB3), (0xB9, 0xB9), (0xBC, 0xBE)])]);
                return Emit(c == 'w' ? word : word.Complement());
        }
        CodePointSet? set = TryClassEscape(flags);
        if (set is not null) return Emit(set);
        int literal = ReadLiteralEscape();
        return LiteralAtom(literal, flags);
    }

    // An escape that stands for a set (\p{..}, \s, \d, ...), or null when the escape is a single character.
    private CodePointSet? TryClassEscape(Flags flags)
    {
        int c = _cps[_pos];
        switch (c)
        {
            case 's': _pos++; return CodePointSet.WhiteSpace;
            case 'S': _pos++; return CodePointSet.WhiteSpace.Complement();
            case 'd': _pos++; return CodePointSet.OfCategories([UnicodeCategory.DecimalDigitNumber]);
            case 'D': _pos++; return CodePointSet.OfCategories([UnicodeCategory.DecimalDigitNumber]).Complement();
            case 'w': _pos++; return Word.Value;
            case 'W': _pos++; return Word.Value.Complement();
            case 'h': _pos++; return HexDigits;
            case 'H': _pos++; return HexDigits.Complement();
            case 'p' or 'P':
                _pos++;
                bool negate = c == 'P';
                string name;
                if (Peek() == '{')
                {
                    _pos++;
                    if (Peek() == '^') { _pos++; negate = !negate; }
                    int start = _pos;
                    while (!AtEnd && Peek() != '}') _pos++;
                    if (AtEnd) throw new FormatException($"an unclosed \\p{{ in the pattern {Source}");
                    name = string.Concat(_cps[start.._pos].Select(char.ConvertFromUtf32));
                    _pos++;
                }
                else
                {
                    if (AtEnd) throw new FormatException($"\\p without a property in the pattern {Source}");
                    name = char.ConvertFromUtf32(_cps[_pos++]);
                }
                CodePointSet property = Property(name);
                if (flags.IgnoreCase) property = property.WithCaseVariants();
                return negate ? property.Complement() : property;
            default:
                return null;
        }
    }

    private static readonly CodePointSet HexDigits = CodePointSet.FromRanges([('0', '9'), ('A', 'F'), ('a', 'f')]);

    private int ReadLiteralEscape()
    {
        int c = _cps[_pos++];
        switch (c)
        {
            case 't': return '\t';
            case 'n': return '\n';
            case 'r': return '\r';
            case 'f': return '\f';
            case 'v': return '\v';
            case 'a': return 7;
            case 'e': return 0x1B;
            case '0':
                int octal = 0;
                for (int i = 0; i < 2 && Peek() is >= '0' and <= '7'; i++) octal = octal * 8 + (_cps[_pos++] - '0');
                return octal;
            case 'x':
                if (Peek() == '{')
                {
                    _pos++;
                    int value = ReadHex(8);
                    Expect('}');
                    return CheckCodePoint(value);
                }
                return ReadHex(2);
            case 'u':
                return CheckCodePoint(ReadHex(4, exact: true));
            case >= '1' and <= '9' or 'k' or 'g':
                throw new NotSupportedException($"back references and subexpression calls (\\{char.ConvertFromUtf32(c)}) in the pattern {Source}");
            case >= 'a' and <= 'z' or >= 'A' and <= 'Z':
                throw new NotSupportedException($"the escape \\{char.ConvertFromUtf32(c)} in the pattern {Source}");
            default:
                return c;
        }
    }

    private int CheckCodePoint(int value)
        => value is > CodePointSet.MaxCodePoint or (>= 0xD800 and <= 0xDFFF)
            ? throw new FormatException($"\\x{{{value:X}}} is not a Unicode scalar value in the pattern {Source}")
            : value;

    private int ReadHex(int maxDigits, bool exact = false)
    {
        int value = 0, digits = 0;
        while (digits < maxDigits && Peek() is >= '0' and <= '9' or >= 'a' and <= 'f' or >= 'A' and <= 'F')
        {
            value = value * 16 + Convert.ToInt32(char.ConvertFromUtf32(_cps[_pos++]), 16);
            digits++;
        }
        if (digits == 0 || (exact && digits != maxDigits)) throw new FormatException($"a malformed hexadecimal escape in the pattern {Source}");
        return value;
    }

    private CodePointSet ParseClass(Flags flags, int depth)
    {
        if (depth > 64) throw new NotSupportedException("the pattern nests classes more than 64 deep");
        bool negate = false;
        if (Peek() == '^') { _pos++; negate = true; }
        var items = new List<CodePointSet>();
        CodePointSet? intersectWith = null;
        bool first = true;
        while (true)
        {
            if (AtEnd) throw new FormatException($"an unclosed '[' in the pattern {Source}");
            int c = Peek();
            if (c == ']' && !first) { _pos++; break; }
            first = false;
            if (c == '&' && Peek(1) == '&')
            {
                _pos += 2;
                var left = CodePointSet.Union(items);
                intersectWith = intersectWith is null ? left : intersectWith.Intersect(left);
                items.Clear();
                continue;
            }
            if (c == '[' && Peek(1) == ':' && TryPosix(out CodePointSet? posix))
            {
                items.Add(posix!);
                continue;
            }
            if (c == '[')
            {
                _pos++;
                items.Add(ParseClass(flags, depth + 1));
                continue;
            }
            int lo;
            if (c == '\\')
            {
                _pos++;
                if (AtEnd) throw new FormatException($"the pattern ends with a backslash: {Source}");
                if (TryClassEscape(flags) is { } escaped) { items.Add(escaped); continue; }
                lo = Peek() == 'b' ? Skip(8) : ReadLiteralEscape();
            }
            else
            {
                _pos++;
                lo = c;
            }
            int hi = lo;
            if (Peek() == '-' && Peek(1) != ']' && Peek(1) != -1)
            {
                _pos++;
                int d = _cps[_pos];
                if (d == '[') throw new FormatException($"a range ends in a class in the pattern {Source}");
                if (d == '\\')
                {
                    _pos++;
                    if (AtEnd) throw new FormatException($"the pattern ends with a backslash: {Source}");
                    if (_cps[_pos] is 's' or 'S' or 'd' or 'D' or 'w' or 'W' or 'h' or 'H' or 'p' or 'P')
                        throw new FormatException($"a range ends in a class escape in the pattern {Source}");
                    hi = ReadLiteralEscape();
                }
                else
                {
                    _pos++;
                    hi = d;
                }
                if (hi < lo) throw new FormatException($"the range {char.ConvertFromUtf32(lo)}-{char.ConvertFromUtf32(hi)} is reversed in the pattern {Source}");
            }
            items.Add(CodePointSet.FromRanges([(lo, hi)]));
        }
        CodePointSet set = CodePointSet.Union(items);
        if (intersectWith is not null) set = intersectWith.Intersect(set);
        if (flags.IgnoreCase) set = set.WithCaseVariants();
        return negate ? set.Complement() : set;
    }

    private int Skip(int value)
    {
        _pos++;
        return value;
    }

    private bool TryPosix(out CodePointSet? set)
    {
        set = null;
        int end = _pos + 2;
        while (end + 1 < _cps.Length && _cps[end] != ':') end++;
        if (end + 1 >= _cps.Length || _cps[end + 1] != ']') return false;
        string name = string.Concat(_cps[(_pos + 2)..end].Select(char.ConvertFromUtf32));
        bool negate = name.StartsWith('^');
        if (negate) name = name[1..];
        set = name switch
        {
            "alpha" => Alphabetic.Value,
            "alnum" => CodePointSet.Union([Alphabetic.Value, CodePointSet.OfCategories([UnicodeCategory.DecimalDigitNumber])]),
            "digit" => CodePointSet.OfCategories([UnicodeCategory.DecimalDigitNumber]),
            "space" => CodePointSet.WhiteSpace,
            "blank" => CodePointSet.Union([CodePointSet.FromRanges([('\t', '\t')]), CodePointSet.OfCategories([UnicodeCategory.SpaceSeparator])]),
            "upper" => CodePointSet.OfCategories([UnicodeCategory.UppercaseLetter]),
            "lower" => CodePointSet.OfCategories([UnicodeCategory.LowercaseLetter]),
            "punct" => Property("P"),
            "cntrl" => CodePointSet.OfCategories([UnicodeCategory.Control]),
            "word" => Word.Value,
            "xdigit" => HexDigits,
            _ => throw new NotSupportedException($"the POSIX class [:{name}:] in the pattern {Source}"),
        };
        if (negate) set = set.Complement();
        _pos = end + 2;
        return true;
    }

    private CodePointSet Property(string name)
    {
        string key = new string(name.Where(ch => ch is not ('_' or ' ' or '-')).ToArray()).ToLowerInvariant();
        UnicodeCategory[]? categories = key switch
        {
            "l" or "letter" => [UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter, UnicodeCategory.ModifierLetter, UnicodeCategory.OtherLetter],
            "lc" or "l&" or "casedletter" => [UnicodeCategory.UppercaseLetter, UnicodeCategory.LowercaseLetter, UnicodeCategory.TitlecaseLetter],
            "lu" or "uppercaseletter" => [UnicodeCategory.UppercaseLetter],
            "ll" or "lowercaseletter" => [UnicodeCategory.LowercaseLetter],
            "lt" or "titlecaseletter" => [UnicodeCategory.TitlecaseLetter],
            "lm" or "modifierletter" => [UnicodeCategory.ModifierLetter],
            "lo" or "otherletter" => [UnicodeCategory.OtherLetter],
            "m" or "mark" or "combiningmark" => [UnicodeCategory.NonSpacingMark, UnicodeCategory.SpacingCombiningMark, UnicodeCategory.EnclosingMark],
            "mn" or "nonspacingmark" => [UnicodeCategory.NonSpacingMark],
            "mc" or "spacingmark" => [UnicodeCategory.SpacingCombiningMark],
            "me" or "enclosingmark" => [UnicodeCategory.EnclosingMark],
            "n" or "number" => [UnicodeCategory.DecimalDigitNumber, UnicodeCategory.LetterNumber, UnicodeCategory.OtherNumber],
            "nd" or "decimalnumber" or "digit" => [UnicodeCategory.DecimalDigitNumber],
            "nl" or "letternumber" => [UnicodeCategory.LetterNumber],
            "no" or "othernumber" => [UnicodeCategory.OtherNumber],
            "p" or "punctuation" or "punct" => [UnicodeCategory.ConnectorPunctuation, UnicodeCategory.DashPunctuation, UnicodeCategory.OpenPunctuation,
                UnicodeCategory.ClosePunctuation, UnicodeCategory.InitialQuotePunctuation, UnicodeCategory.FinalQuotePunctuation, UnicodeCategory.OtherPunctuation],
            "pc" or "connectorpunctuation" => [UnicodeCategory.ConnectorPunctuation],
            "pd" or "dashpunctuation" => [UnicodeCategory.DashPunctuation],
            "ps" or "openpunctuation" => [UnicodeCategory.OpenPunctuation],
            "pe" or "closepunctuation" => [UnicodeCategory.ClosePunctuation],
            "pi" or "initialpunctuation" => [UnicodeCategory.InitialQuotePunctuation],
            "pf" or "finalpunctuation" => [UnicodeCategory.FinalQuotePunctuation],
            "po" or "otherpunctuation" => [UnicodeCategory.OtherPunctuation],
            "s" or "symbol" => [UnicodeCategory.MathSymbol, UnicodeCategory.CurrencySymbol, UnicodeCategory.ModifierSymbol, UnicodeCategory.OtherSymbol],
            "sm" or "mathsymbol" => [UnicodeCategory.MathSymbol],
            "sc" or "currencysymbol" => [UnicodeCategory.CurrencySymbol],
            "sk" or "modifiersymbol" => [UnicodeCategory.ModifierSymbol],
            "so" or "othersymbol" => [UnicodeCategory.OtherSymbol],
            "z" or "separator" => [UnicodeCategory.SpaceSeparator, UnicodeCategory.LineSeparator, UnicodeCategory.ParagraphSeparator],
            "zs" or "spaceseparator" => [UnicodeCategory.SpaceSeparator],
            "zl" or "lineseparator" => [UnicodeCategory.LineSeparator],
            "zp" or "paragraphseparator" => [UnicodeCategory.ParagraphSeparator],
            "c" or "other" => [UnicodeCategory.Control, UnicodeCategory.Format, UnicodeCategory.Surrogate, UnicodeCategory.PrivateUse, UnicodeCategory.OtherNotAssigned],
            "cc" or "control" or "cntrl" => [UnicodeCategory.Control],
            "cf" or "format" => [UnicodeCategory.Format],
            "cs" or "surrogate" => [UnicodeCategory.Surrogate],
            "co" or "privateuse" => [UnicodeCategory.PrivateUse],
            "cn" or "unassigned" => [UnicodeCategory.OtherNotAssigned],
            _ => null,
        };
        if (categories is not null) return CodePointSet.OfCategories(categories);
        return key switch
        {
            "any" => CodePointSet.FromRanges([(0, CodePointSet.MaxCodePoint)]),
            "whitespace" or "space" => CodePointSet.WhiteSpace,
            "alphabetic" or "alpha" => Alphabetic.Value,
            "word" => Word.Value,
            _ => throw new NotSupportedException($"the Unicode property \\p{{{name}}} in the pattern {Source}"),
        };
    }
}
