namespace TestTimeScaling;

/// <summary>
/// One message of a conversation, as a chat template sees it: <c>message['role']</c>, <c>message['content']</c>
/// and any further keys (<c>tool_calls</c>, <c>name</c>, <c>reasoning_content</c>, ...).
/// </summary>
/// <param name="Role">The role: <c>system</c>, <c>user</c>, <c>assistant</c>, <c>tool</c>, or whatever the template expects.</param>
/// <param name="Content">
/// The content: a string, or a list of parts such as
/// <c>new Dictionary&lt;string, object?&gt; { ["type"] = "text", ["text"] = "..." }</c> as multimodal templates
/// (Gemma 3) expect, or null (an assistant turn that only calls tools).
/// </param>
public sealed record ChatTemplateMessage(string Role, object? Content)
{
    /// <summary>Further keys of the message, such as <c>tool_calls</c> (values: strings, numbers, booleans, null, dictionaries, lists, JSON).</summary>
    public IReadOnlyDictionary<string, object?>? AdditionalProperties { get; init; }

    /// <summary>A system message with text content.</summary>
    public static ChatTemplateMessage System(string content) => new("system", content);

    /// <summary>A user message with text content.</summary>
    public static ChatTemplateMessage User(string content) => new("user", content);

    /// <summary>An assistant message with text content.</summary>
    public static ChatTemplateMessage Assistant(string content) => new("assistant", content);

    /// <summary>The message as the dictionary the template indexes: role, content, then the additional properties.</summary>
    public IReadOnlyDictionary<string, object?> ToDictionary()
    {
        var dict = new Dictionary<string, object?>(StringComparer.Ordinal) { ["role"] = Role, ["content"] = Content };
        if (AdditionalProperties is not null)
        {
            foreach (var (key, value) in AdditionalProperties)
            {
                if (key is "role" or "content") throw new ArgumentException($"AdditionalProperties of a '{Role}' message repeats the key '{key}'.", nameof(AdditionalProperties));
                dict[key] = value;
            }
        }
        return dict;
    }
}
