namespace TestTimeScaling;

/// <summary>
/// A Hugging Face chat template (the Jinja <c>chat_template</c> of tokenizer_config.json), parsed once and
/// rendered as transformers' <c>apply_chat_template</c> renders it: Jinja with <c>trim_blocks</c> and
/// <c>lstrip_blocks</c>, variables <c>messages</c>, <c>tools</c>, <c>documents</c>, <c>add_generation_prompt</c>,
/// the special tokens, and the globals <c>raise_exception</c> and <c>strftime_now</c>. Thread-safe: a parsed
/// template may be rendered from several threads at once.
/// </summary>
/// <remarks>
/// The interpreter covers the Jinja real chat templates use (see docs/chat-templates.md): if/elif/else, for with
/// <c>loop.*</c>, else and filters, set (also block set and namespace attributes), macros, filter and with blocks,
/// break/continue, whitespace control, the common filters and tests, and Python's str/dict/list methods. Not
/// supported, and refused with <see cref="ChatTemplateSyntaxException"/>: include/import/extends, call blocks,
/// recursive loops. Integers are 64-bit (Python's are unbounded).
/// </remarks>
public sealed class ChatTemplate
{
    private readonly JinjaSource _source;
    private readonly IReadOnlyList<JinjaStmt> _body;

    private ChatTemplate(JinjaSource source, IReadOnlyList<JinjaStmt> body)
    {
        _source = source;
        _body = body;
    }

    /// <summary>The template's name, used in every error message.</summary>
    public string Name => _source.Name;

    /// <summary>The template text as given.</summary>
    public string Source { get; private init; } = "";

    /// <summary>Parses a template.</summary>
    /// <param name="source">The Jinja text.</param>
    /// <param name="name">A name for messages, e.g. the path of the tokenizer_config.json it came from.</param>
    /// <exception cref="ChatTemplateSyntaxException">The template does not parse; the message names it, the line and column, and the problem.</exception>
    public static ChatTemplate Parse(string source, string name = "chat_template")
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(name);
        var jinja = new JinjaSource(source, name);
        return new ChatTemplate(jinja, JinjaParser.Parse(jinja)) { Source = source };
    }

    /// <summary>Renders a conversation to prompt text.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="addGenerationPrompt">End with the header that starts an assistant turn (transformers' <c>add_generation_prompt</c>).</param>
    /// <param name="options">Special tokens, tools, extra variables, clock and limits; null for <see cref="ChatTemplateOptions.Default"/>.</param>
    /// <exception cref="ChatTemplateRaisedException">The template called <c>raise_exception</c>; its message is in <see cref="ChatTemplateRaisedException.TemplateMessage"/>.</exception>
    /// <exception cref="ChatTemplateException">The template failed at run time, or passed a limit; the message names the template, the position and the cause.</exception>
    /// <exception cref="ArgumentException">A message or option holds a value of a type templates cannot see, or both
    /// <paramref name="addGenerationPrompt"/> and <see cref="ChatTemplateOptions.ContinueFinalMessage"/> are set.</exception>
    public string Render(IEnumerable<ChatTemplateMessage> messages, bool addGenerationPrompt, ChatTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        options ??= ChatTemplateOptions.Default;
        options.Validate();
        var conversation = messages.ToList();
        if (conversation.Any(m => m is null)) throw new ArgumentException("The conversation contains a null message.", nameof(messages));
        if (options.ContinueFinalMessage)
        {
            if (addGenerationPrompt) throw new ArgumentException("ContinueFinalMessage cannot be combined with addGenerationPrompt: one continues the last message, the other starts a new one.", nameof(addGenerationPrompt));
            if (conversation.Count == 0) throw new ArgumentException("ContinueFinalMessage needs at least one message.", nameof(messages));
        }

        var variables = new Dictionary<string, object?>(StringComparer.Ordinal)
        {
            ["messages"] = conversation,
            ["tools"] = options.Tools,
            ["documents"] = options.Documents,
            ["add_generation_prompt"] = addGenerationPrompt,
        };
        if (options.BosToken is not null) variables["bos_token"] = options.BosToken;
        if (options.EosToken is not null) variables["eos_token"] = options.EosToken;
        if (options.AdditionalVariables is not null)
        {
            foreach (var (key, value) in options.AdditionalVariables) variables[key] = value;
        }
        string rendered = Render(variables, options);
        return options.ContinueFinalMessage ? CutAfterFinalMessage(rendered, conversation[^1]) : rendered;
    }

    /// <summary>Renders the template over arbitrary variables (the low-level form of <see cref="Render(IEnumerable{ChatTemplateMessage}, bool, ChatTemplateOptions?)"/>).</summary>
    /// <param name="variables">Top-level variables: strings, numbers, booleans, null, dictionaries, lists, JSON elements or nodes, <see cref="ChatTemplateMessage"/>.</param>
    /// <param name="options">The clock and limits (its token and tool settings are not applied here); null for the defaults.</param>
    /// <exception cref="ChatTemplateRaisedException">The template called <c>raise_exception</c>.</exception>
    /// <exception cref="ChatTemplateException">The template failed at run time, or passed a limit.</exception>
    /// <exception cref="ArgumentException">A variable holds a value of a type templates cannot see.</exception>
    public string Render(IReadOnlyDictionary<string, object?> variables, ChatTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(variables);
        options ??= ChatTemplateOptions.Default;
        options.Validate();
        var globals = new JinjaScope(null);
        JinjaGlobals.AddTo(globals, options.TimeProvider);
        foreach (var (name, value) in variables) globals.Set(name, JinjaValues.FromClr(value, name));
        return new JinjaInterpreter(_source, options).Render(_body, globals);
    }

    // transformers' continue_final_message: cut the render right after the final message's text, keeping that
    // text's trailing whitespace only where the template kept it.
    private string CutAfterFinalMessage(string rendered, ChatTemplateMessage last)
    {
        string? text = last.Content as string;
        if (text is null && last.Content is System.Collections.IEnumerable parts)
        {
            foreach (object? part in parts.Cast<object?>().Reverse())
            {
                if (JinjaValues.FromClr(part, "content") is Dictionary<object, object?> dict && dict.TryGetValue("text", out object? t) && t is string s)
                {
                    text = s;
                    break;
                }
            }
        }
        if (text is null) throw new ArgumentException($"ContinueFinalMessage is set but the final message of '{Name}' has no text to continue.");
        string stripped = PyStrings.Strip(text);
        int at = rendered.LastIndexOf(stripped, StringComparison.Ordinal);
        if (at < 0) throw new ArgumentException($"ContinueFinalMessage is set but the final message does not appear in the render of '{Name}'.");
        string lstripped = PyStrings.LStrip(text);
        int end = Math.Min(rendered.Length, at + lstripped.Length);
        if (string.Equals(rendered[at..end], text, StringComparison.Ordinal)) return rendered[..end];
        return rendered[..(at + stripped.Length)];
    }
}
