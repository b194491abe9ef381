namespace TestTimeScaling;

/// <summary>
/// A chat template failed to render: a runtime error of the template (an undefined value used where Jinja
/// refuses one, a type error, an unsupported construct, a limit exceeded). The message names the template, the
/// line and column, and what failed. Subclasses say more: <see cref="ChatTemplateSyntaxException"/> for a template
/// that does not parse, <see cref="ChatTemplateRaisedException"/> for a template that called <c>raise_exception</c>.
/// </summary>
public class ChatTemplateException : Exception
{
    /// <summary>Creates the exception with the template's name, the 1-based position, and what went wrong.</summary>
    public ChatTemplateException(string templateName, int line, int column, string reason, Exception? inner = null)
        : base($"Chat template '{templateName}', line {line}, column {column}: {reason}", inner)
    {
        TemplateName = templateName;
        Line = line;
        Column = column;
        Reason = reason;
    }

    /// <summary>The template's name (for a tokenizer's template, the tokenizer_config.json path).</summary>
    public string TemplateName { get; }

    /// <summary>The 1-based line of the template where it failed.</summary>
    public int Line { get; }

    /// <summary>The 1-based column of the template where it failed.</summary>
    public int Column { get; }

    /// <summary>What went wrong, without the template name and position.</summary>
    public string Reason { get; }
}
