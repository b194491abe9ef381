using System.Runtime.CompilerServices;

namespace TestTimeScaling.Torch;

/// <summary>Renders a conversation with the chat template of a model's tokenizer_config.json.</summary>
public static class ChatTemplateExtensions
{
    // Parse once per tokenizer; the table lets a tokenizer and its template be collected together.
    private static readonly ConditionalWeakTable<HfTokenizer, ChatTemplate> Parsed = new();

    /// <summary>
    /// The tokenizer's chat template, parsed (once per tokenizer), as transformers' <c>apply_chat_template</c> uses it.
    /// </summary>
    /// <exception cref="InvalidOperationException">tokenizer_config.json has no <c>chat_template</c>.</exception>
    /// <exception cref="ChatTemplateSyntaxException">The template does not parse; the message says where and why.</exception>
    public static ChatTemplate GetChatTemplate(this HfTokenizer tokenizer)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        string source = tokenizer.ChatTemplate ?? throw new InvalidOperationException(
            "The tokenizer has no chat template: its tokenizer_config.json has no \"chat_template\". Pass a template to ChatTemplate.Parse instead.");
        return Parsed.GetValue(tokenizer, _ => ChatTemplate.Parse(source, "tokenizer_config.json chat_template"));
    }

    /// <summary>
    /// Renders <paramref name="messages"/> to the prompt text the model was trained on, as transformers'
    /// <c>tokenizer.apply_chat_template(messages, add_generation_prompt=..., tokenize=False)</c> does, with
    /// <c>bos_token</c>, <c>eos_token</c> and <c>pad_token</c> from the tokenizer. Encode the result with
    /// <c>addBos: false</c>, and give a <see cref="GenerationEngine"/> that samples from it
    /// <c>GenerationEngineOptions.AddBosToken = false</c>: templates write the BOS themselves.
    /// </summary>
    /// <param name="tokenizer">The tokenizer whose tokenizer_config.json holds the template.</param>
    /// <param name="messages">The conversation.</param>
    /// <param name="addGenerationPrompt">End with the header that opens an assistant turn, so the model answers next.</param>
    /// <param name="options">Tools, extra variables (such as <c>enable_thinking</c>), clock and limits; token strings set here win over the tokenizer's.</param>
    /// <exception cref="InvalidOperationException">tokenizer_config.json has no <c>chat_template</c>.</exception>
    /// <exception cref="ChatTemplateSyntaxException">The template does not parse.</exception>
    /// <exception cref="ChatTemplateRaisedException">The template refused the conversation (<c>raise_exception</c>).</exception>
    /// <exception cref="ChatTemplateException">The template failed while rendering.</exception>
    public static string ApplyChatTemplate(this HfTokenizer tokenizer, IEnumerable<ChatTemplateMessage> messages, bool addGenerationPrompt, ChatTemplateOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(messages);
        ChatTemplate template = tokenizer.GetChatTemplate();
        options ??= ChatTemplateOptions.Default;

        var variables = new Dictionary<string, object?>(StringComparer.Ordinal);
        if (tokenizer.PadTokenId is { } pad && tokenizer.IdToToken(pad) is { } padToken) variables["pad_token"] = padToken;
        if (options.AdditionalVariables is not null)
        {
            foreach (var (key, value) in options.AdditionalVariables) variables[key] = value;
        }
        options = options with
        {
            BosToken = options.BosToken ?? (tokenizer.BosTokenId is { } bos ? tokenizer.IdToToken(bos) : null),
            EosToken = options.EosToken ?? (tokenizer.EosTokenIds.Count > 0 ? tokenizer.IdToToken(tokenizer.EosTokenIds[0]) : null),
            AdditionalVariables = variables,
        };
        return template.Render(messages, addGenerationPrompt, options);
    }
}
