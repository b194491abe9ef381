namespace TestTimeScaling;

/// <summary>
/// A chat template does not parse: an unclosed tag or block, an unknown tag, filter or test, a malformed
/// expression. Thrown by <see cref="ChatTemplate.Parse"/>, before anything is rendered.
/// </summary>
public sealed class ChatTemplateSyntaxException : ChatTemplateException
{
    /// <summary>Creates the exception with the template's name, the 1-based position, and what is wrong.</summary>
    public ChatTemplateSyntaxException(string templateName, int line, int column, string reason)
        : base(templateName, line, column, reason)
    {
    }
}
