using Microsoft.Extensions.AI;

namespace TestTimeScaling.Extensions.AI;

/// <summary>Ways of turning chat messages into the one text prompt a <see cref="ISampler"/> continues.</summary>
public static class ChatPrompt
{
    /// <summary>
    /// The default formatter, for models without a chat template: the text of every message in order, with a
    /// line break between two messages when the first does not already end with one. Roles are not written, so
    /// a single user message is passed through exactly (the embedded arithmetic model's <c>Q: 17 +8 *3 -12\n</c>
    /// stays as it is). A model with a chat template should plug in a formatter that renders it.
    /// </summary>
    /// <param name="messages">The conversation.</param>
    /// <exception cref="ArgumentNullException"><paramref name="messages"/> is null.</exception>
    public static string Concatenate(IEnumerable<ChatMessage> messages)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var text = new System.Text.StringBuilder();
        foreach (var message in messages)
        {
            if (message is null) continue;
            if (text.Length > 0 && text[^1] != '\n') text.Append('\n');
            text.Append(message.Text);
        }
        return text.ToString();
    }
}
