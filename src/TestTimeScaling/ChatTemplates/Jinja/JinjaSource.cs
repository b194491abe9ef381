namespace TestTimeScaling;

/// <summary>
/// A template's text as Jinja sees it (newlines normalized to <c>\n</c>, one trailing newline dropped, as
/// Jinja does without <c>keep_trailing_newline</c>), with its name, and the line/column of an offset for messages.
/// </summary>
internal sealed class JinjaSource
{
    public JinjaSource(string text, string name)
    {
        string normalized = text.Replace("\r\n", "\n", StringComparison.Ordinal).Replace('\r', '\n');
        if (normalized.EndsWith('\n')) normalized = normalized[..^1];
        Text = normalized;
        Name = name;
    }

    public string Text { get; }

    public string Name { get; }

    public (int Line, int Column) Position(int offset)
    {
        offset = Math.Clamp(offset, 0, Text.Length);
        int line = 1, lineStart = 0;
        for (int i = 0; i < offset; i++)
        {
            if (Text[i] == '\n') { line++; lineStart = i + 1; }
        }
        return (line, offset - lineStart + 1);
    }
}
