using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TestTimeScaling.Server.Tests;

/// <summary>A chat client whose every member is a settable callback (the shape of Microsoft.Extensions.AI's own test double).</summary>
public sealed class TestChatClient : IChatClient
{
    public Func<IEnumerable<ChatMessage>, ChatOptions?, CancellationToken, Task<ChatResponse>>? GetResponseAsyncCallback { get; set; }

    public Func<Type, object?, object?> GetServiceCallback { get; set; } = (type, key) => null;

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        (GetResponseAsyncCallback ?? throw new InvalidOperationException("No response callback set."))(messages, options, cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => GetServiceCallback(serviceType, serviceKey);

    public void Dispose()
    {
    }
}
