using System.Globalization;
using System.Text;

namespace TestTimeScaling;

/// <summary>
/// Splits a template into text and tag tokens the way Jinja 3's lexer does under transformers' settings
/// (<c>trim_blocks=True</c>, <c>lstrip_blocks=True</c>): <c>{%-</c>/<c>-%}</c> strip all whitespace on that side,
/// <c>{%+</c>/<c>+%}</c> turn lstrip/trim off for one tag, a block or comment tag alone on its line takes the
/// line's leading spaces and tabs, and the first newline after a block or comment tag is dropped.
/// </summary>
internal sealed class JinjaLexer
{
    private static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|", "=", ";"];

    private readonly JinjaSource _source;
    private readonly string _text;
    private readonly List<JinjaToken> _tokens = [];
    private int _pos;
    private bool _lineStarting = true;

    private JinjaLexer(JinjaSource source)
    {
        _source = source;
        _text = source.Text;
    }

    public static List<JinjaToken> Tokenize(JinjaSource source)
    {
        var lexer = new JinjaLexer(source);
        lexer.Run();
        return lexer._tokens;
    }

    private void Run()
    {
        while (_pos < _text.Length)
        {
            int tag = FindTagStart(_pos);
            if (tag < 0)
            {
                _tokens.Add(new JinjaToken(JinjaTokenKind.Text, _text[_pos..], _pos));
                return;
            }
            char kind = _text[tag + 1];
            char sign = tag + 2 < _text.Length && _text[tag + 2] is '-' or '+' ? _text[tag + 2] : '\0';
            bool isRaw = kind == '%' && IsRawBegin(tag, out _);
            string data = _text[_pos..tag];
            if (sign == '-') data = PyStrings.RStrip(data);
            else if (sign != '+' && kind != '{') data = LStripBlock(data);
            if (data.Length > 0) _tokens.Add(new JinjaToken(JinjaTokenKind.Text, data, _pos));

            if (kind == '#') LexComment(tag);
            else if (isRaw) LexRaw(tag);
            else LexTag(tag, kind == '{');
        }
    }

    private int FindTagStart(int from)
    {
        for (int i = _text.IndexOf('{', from); i >= 0 && i + 1 < _text.Length; i = _text.IndexOf('{', i + 1))
        {
            if (_text[i + 1] is '{' or '%' or '#') return i;
        }
        return -1;
    }

    // lstrip_blocks: the spaces and tabs between the last newline (or a line start) and a block tag go.
    private string LStripBlock(string data)
    {
        int lineStart = data.LastIndexOf('\n') + 1;
        if (lineStart == 0 && !_lineStarting) return data;
        if (lineStart == data.Length) return data;
        for (int i = lineStart; i < data.Length; i++)
        {
            if (!PyStrings.IsSpace(data[i])) return data;
        }
        return data[..lineStart];
    }

    private void LexComment(int tag)
    {
        int end = _text.IndexOf("#}", tag + 2, StringComparison.Ordinal);
        if (end < 0) throw Syntax(tag, "missing end of comment tag '#}'");
        _pos = end + 2;
        FinishTagEnd(_text[end - 1] == '-' && end - 1 >= tag + 2, _text[end - 1] == '+');
    }

    // After a closing '%}' or '#}' at _pos: '-' eats all whitespace, otherwise trim_blocks eats one newline.
    private void FinishTagEnd(bool strip, bool keep)
    {
        if (strip)
        {
            while (_pos < _text.Length && PyStrings.IsSpace(_text[_pos])) _pos++;
        }
        else if (!keep && _pos < _text.Length && _text[_pos] == '\n')
        {
            _pos++;
        }
        _lineStarting = _pos > 0 && _text[_pos - 1] == '\n';
    }

    private bool IsRawBegin(int tag, out int afterTag)
    {
        afterTag = -1;
        int i = tag + 2;
        if (i < _text.Length && _text[i] is '-' or '+') i++;
        while (i < _text.Length && char.IsWhiteSpace(_text[i])) i++;
        if (string.CompareOrdinal(_text, i, "raw", 0, 3) != 0) return false;
        i += 3;
        if (i < _text.Length && (char.IsLetterOrDigit(_text[i]) || _text[i] == '_')) return false;
        while (i < _text.Length && char.IsWhiteSpace(_text[i])) i++;
        if (string.CompareOrdinal(_text, i, "-%}", 0, 3) == 0)
        {
            i += 3;
            while (i < _text.Length && PyStrings.IsSpace(_text[i])) i++;
        }
        else if (string.CompareOrdinal(_text, i, "%}", 0, 2) == 0) i += 2;
        else return false;
        afterTag = i;
        return true;
    }

    private void LexRaw(int tag)
    {
        IsRawBegin(tag, out int start);
        for (int search = start; ; )
        {
            int end = _text.IndexOf("{%", search, StringComparison.Ordinal);
            if (end < 0) throw Syntax(tag, "missing end of raw directive '{% endraw %}'");
            int i = end + 2;
            char sign = i < _text.Length && _text[i] is '-' or '+' ? _text[i] : '\0';
            if (sign != '\0') i++;
            while (i < _text.Length && char.IsWhiteSpace(_text[i])) i++;
            if (string.CompareOrdinal(_text, i, "endraw", 0, 6) == 0)
            {
                i += 6;
                while (i < _text.Length && char.IsWhiteSpace(_text[i])) i++;
                bool strip = string.CompareOrdinal(_text, i, "-%}", 0, 3) == 0;
                bool keep = string.CompareOrdinal(_text, i, "+%}", 0, 3) == 0;
                if (strip || keep) i++;
                if (string.CompareOrdinal(_text, i, "%}", 0, 2) == 0)
                {
                    string data = _text[start..end];
                    if (sign == '-') data = PyStrings.RStrip(data);
                    else if (sign != '+') { _lineStarting = false; data = LStripBlock(data); }
                    if (data.Length > 0) _tokens.Add(new JinjaToken(JinjaTokenKind.Text, data, start));
                    _pos = i + 2;
                    FinishTagEnd(strip, keep);
                    return;
                }
            }
            search = end + 2;
        }
    }

    private void LexTag(int tag, bool isVariable)
    {
        _tokens.Add(new JinjaToken(isVariable ? JinjaTokenKind.VariableBegin : JinjaTokenKind.BlockBegin, isVariable ? "{{" : "{%", tag));
        _pos = tag + 2;
        if (_pos < _text.Length && _text[_pos] is '-' or '+') _pos++;
        var brackets = new Stack<char>();
        while (true)
        {
            while (_pos < _text.Length && char.IsWhiteSpace(_text[_pos])) _pos++;
            if (_pos >= _text.Length) throw Syntax(tag, $"unclosed tag: expected '{(isVariable ? "}}" : "%}")}' before the end of the template");
            if (brackets.Count == 0 && TryTagEnd(isVariable)) return;
            LexExpressionToken(brackets);
        }
    }

    private bool TryTagEnd(bool isVariable)
    {
        string close = isVariable ? "}}" : "%}";
        bool strip = string.CompareOrdinal(_text, _pos, "-" + close, 0, 3) == 0;
        bool keep = !isVariable && string.CompareOrdinal(_text, _pos, "+" + close, 0, 3) == 0;
        if (!strip && !keep && string.CompareOrdinal(_text, _pos, close, 0, 2) != 0) return false;
        int at = _pos;
        _pos += strip || keep ? 3 : 2;
        _tokens.Add(new JinjaToken(isVariable ? JinjaTokenKind.VariableEnd : JinjaTokenKind.BlockEnd, close, at));
        if (isVariable)
        {
            if (strip)
            {
                while (_pos < _text.Length && PyStrings.IsSpace(_text[_pos])) _pos++;
            }
            _lineStarting = _pos > 0 && _text[_pos - 1] == '\n';
        }
        else
        {
            FinishTagEnd(strip, keep);
        }
        return true;
    }

    private void LexExpressionToken(Stack<char> brackets)
    {
        int start = _pos;
        char c = _text[_pos];
        if (c == '_' || char.IsLetter(c))
        {
            while (_pos < _text.Length && (_text[_pos] == '_' || char.IsLetterOrDigit(_text[_pos]))) _pos++;
            _tokens.Add(new JinjaToken(JinjaTokenKind.Name, _text[start.._pos], start));
            return;
        }
        if (char.IsAsciiDigit(c))
        {
            LexNumber(start);
            return;
        }
        if (c is '\'' or '"')
        {
            _tokens.Add(new JinjaToken(JinjaTokenKind.String, _text[start..(_pos = StringEnd(start))], start, Unescape(start)));
            return;
        }
        foreach (string op in Operators)
        {
            if (string.CompareOrdinal(_text, _pos, op, 0, op.Length) != 0) continue;
            switch (op)
            {
                case "(": brackets.Push(')'); break;
                case "[": brackets.Push(']'); break;
                case "{": brackets.Push('}'); break;
                case ")" or "]" or "}":
                    if (brackets.Count == 0) throw Syntax(start, $"unexpected '{op}'");
                    char expected = brackets.Pop();
                    if (expected != op[0]) throw Syntax(start, $"unexpected '{op}', expected '{expected}'");
                    break;
            }
            _pos += op.Length;
            _tokens.Add(new JinjaToken(JinjaTokenKind.Operator, op, start));
            return;
        }
        throw Syntax(start, $"unexpected character '{c}'");
    }

    private void LexNumber(int start)
    {
        static bool Digit(char ch) => char.IsAsciiDigit(ch) || ch == '_';
        while (_pos < _text.Length && Digit(_text[_pos])) _pos++;
        bool isFloat = false;
        if (_pos + 1 < _text.Length && _text[_pos] == '.' && char.IsAsciiDigit(_text[_pos + 1]))
        {
            isFloat = true;
            _pos++;
            while (_pos < _text.Length && Digit(_text[_pos])) _pos++;
        }
        if (_pos < _text.Length && _text[_pos] is 'e' or 'E')
        {
            int mark = _pos++;
            if (_pos < _text.Length && _text[_pos] is '+' or '-') _pos++;
            if (_pos < _text.Length && char.IsAsciiDigit(_text[_pos]))
            {
                isFloat = true;
                while (_pos < _text.Length && Digit(_text[_pos])) _pos++;
            }
            else
            {
                _pos = mark;
            }
        }
        string literal = _text[start.._pos].Replace("_", "", StringComparison.Ordinal);
        if (isFloat)
        {
            _tokens.Add(new JinjaToken(JinjaTokenKind.Float, literal, start, double.Parse(literal, CultureInfo.InvariantCulture)));
        }
        else if (long.TryParse(literal, NumberStyles.None, CultureInfo.InvariantCulture, out long value))
        {
            _tokens.Add(new JinjaToken(JinjaTokenKind.Integer, literal, start, value));
        }
        else
        {
            throw Syntax(start, $"integer literal {literal} is larger than this interpreter supports (64-bit)");
        }
    }

    private int StringEnd(int start)
    {
        char quote = _text[start];
        for (int i = start + 1; i < _text.Length; i++)
        {
            if (_text[i] == '\\') i++;
            else if (_text[i] == quote) return i + 1;
        }
        throw Syntax(start, "unterminated string literal");
    }

    // Python's unicode-escape decoding of the literal's body, as Jinja applies it; non-ASCII text stays as is.
    private string Unescape(int start)
    {
        string body = _text[(start + 1)..(_pos - 1)];
        if (!body.Contains('\\')) return body;
        var sb = new StringBuilder(body.Length);
        for (int i = 0; i < body.Length; i++)
        {
            char c = body[i];
            if (c != '\\' || i + 1 >= body.Length) { sb.Append(c); continue; }
            char e = body[++i];
            switch (e)
            {
                case '\n': break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case 'a': sb.Append('\a'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'v': sb.Append('\v'); break;
                case 'x': sb.Append(HexEscape(body, ref i, 2, start)); break;
                case 'u': sb.Append(HexEscape(body, ref i, 4, start)); break;
                case 'U': sb.Append(HexEscape(body, ref i, 8, start)); break;
                case >= '0' and <= '7':
                    int value = e - '0', digits = 1;
                    while (digits < 3 && i + 1 < body.Length && body[i + 1] is >= '0' and <= '7') { value = value * 8 + (body[++i] - '0'); digits++; }
                    sb.Append((char)value);
                    break;
                default: sb.Append('\\').Append(e); break;
            }
        }
        return sb.ToString();
    }

    private string HexEscape(string body, ref int i, int digits, int start)
    {
        if (i + digits >= body.Length) throw Syntax(start, $"truncated \\{body[i]} escape in a string literal");
        string hex = body.Substring(i + 1, digits);
        if (!int.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code)
            || code > 0x10FFFF)
            throw Syntax(start, $"malformed \\{body[i]} escape in a string literal");
        i += digits;
        return char.ConvertFromUtf32(code is >= 0xD800 and <= 0xDFFF ? 0xFFFD : code);
    }

    private ChatTemplateSyntaxException Syntax(int offset, string reason)
    {
        var (line, column) = _source.Position(offset);
        return new ChatTemplateSyntaxException(_source.Name, line, column, reason);
    }
}
