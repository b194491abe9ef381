namespace TestTimeScaling;

/// <summary>
/// The template itself refused the input by calling <c>raise_exception(message)</c>, as chat templates do for
/// conversations they do not support (roles that do not alternate, a system message where none is allowed).
/// <see cref="TemplateMessage"/> is the template's own text.
/// </summary>
public sealed class ChatTemplateRaisedException : ChatTemplateException
{
    /// <summary>Creates the exception with the template's name, the position of the call, and the template's message.</summary>
    public ChatTemplateRaisedException(string templateName, int line, int column, string templateMessage)
        : base(templateName, line, column, $"the template raised: {templateMessage}")
    {
        TemplateMessage = templateMessage;
    }

    /// <summary>The message the template passed to <c>raise_exception</c>.</summary>
    public string TemplateMessage { get; }
}
