using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace TestTimeScaling.Extensions.AI;

/// <summary>
/// Any <see cref="ISampler"/> (the local engine, a remote OpenAI-compatible sampler) as an <see cref="IChatClient"/>:
/// the messages become one prompt through <see cref="PromptFormatter"/>, <see cref="ChatOptions"/> become
/// <see cref="SamplingOptions"/>, and the sample is the assistant's answer.
/// </summary>
/// <remarks>
/// <para>It answers <c>GetService(typeof(ISampler))</c> with its sampler, so <see cref="ScalingChatClient"/> placed above
/// it samples natively (prefixes, step delimiters, logprobs, one batched call for n samples).</para>
/// <para>Streaming follows the sampler: text as it is generated over an <see cref="IStreamingSampler"/>, the
/// finished answer as updates at the end over any other. The client does not own the sampler: disposing it leaves the sampler alone. Safe for concurrent calls when
/// the sampler is (the engine serialises its calls).</para>
/// </remarks>
public sealed class SamplerChatClient : IChatClient
{
    private readonly ChatClientMetadata _metadata;
    private SamplingOptions _defaultSampling = new();

    /// <summary>Wraps <paramref name="sampler"/>.</summary>
    /// <param name="sampler">Draws the samples.</param>
    /// <param name="promptFormatter">Renders messages as the prompt; null for <see cref="ChatPrompt.Concatenate"/>.</param>
    /// <param name="modelId">The model name reported in responses and metadata.</param>
    /// <exception cref="ArgumentNullException"><paramref name="sampler"/> is null.</exception>
    public SamplerChatClient(ISampler sampler, Func<IEnumerable<ChatMessage>, string>? promptFormatter = null, string? modelId = null)
    {
        ArgumentNullException.ThrowIfNull(sampler);
        Sampler = sampler;
        PromptFormatter = promptFormatter ?? ChatPrompt.Concatenate;
        _metadata = new ChatClientMetadata("test-time-scaling", null, modelId);
    }

    /// <summary>The sampler behind this client.</summary>
    public ISampler Sampler { get; }

    /// <summary>Renders the conversation as the prompt the sampler continues.</summary>
    public Func<IEnumerable<ChatMessage>, string> PromptFormatter { get; }

    /// <summary>Sampling settings used where <see cref="ChatOptions"/> says nothing (default: <see cref="SamplingOptions"/>' defaults).</summary>
    /// <exception cref="ArgumentException">The value is invalid (the message names the setting).</exception>
    public SamplingOptions DefaultSampling
    {
        get => _defaultSampling;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            value.Validate();
            _defaultSampling = value;
        }
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        string prompt = PromptFormatter(messages);
        var sampling = ChatOptionsMapping.ToSampling(options, DefaultSampling);
        var result = await Sampler.SampleAsync(new SampleRequest { Prompt = prompt, Options = sampling }, cancellationToken).ConfigureAwait(false);
        if (result.Completions.Count == 0)
            throw new InvalidOperationException($"The sampler {Sampler.GetType().Name} returned no completion for one requested sample.");
        var completion = result.Completions[0];
        long input = Sampler.CountTokens(prompt);
        return new ChatResponse(new ChatMessage(ChatRole.Assistant, completion.Text ?? ""))
        {
            ModelId = options?.ModelId ?? _metadata.DefaultModelId,
            FinishReason = ChatOptionsMapping.ToChat(completion.FinishReason),
            CreatedAt = DateTimeOffset.UtcNow,
            ResponseId = Guid.NewGuid().ToString("N"),
            RawRepresentation = result,
            Usage = new UsageDetails
            {
                InputTokenCount = input,
                OutputTokenCount = completion.GeneratedTokens,
                TotalTokenCount = input + completion.GeneratedTokens,
            },
        };
    }

    /// <inheritdoc />
    /// <remarks>
    /// Over an <see cref="IStreamingSampler"/> (the local engine) the answer's text comes as it is generated, then a
    /// last update with the finish reason and the usage; over any other sampler the whole answer comes as updates once
    /// it is complete.
    /// </remarks>
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Sampler is not IStreamingSampler streaming)
        {
            var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            foreach (var update in response.ToChatResponseUpdates()) yield return update;
            yield break;
        }

        ArgumentNullException.ThrowIfNull(messages);
        string prompt = PromptFormatter(messages);
        var sampling = ChatOptionsMapping.ToSampling(options, DefaultSampling);
        string responseId = Guid.NewGuid().ToString("N");
        string? modelId = options?.ModelId ?? _metadata.DefaultModelId;
        long generated = 0;
        await foreach (var piece in streaming.StreamAsync(new SampleRequest { Prompt = prompt, Options = sampling }, cancellationToken).ConfigureAwait(false))
        {
            generated += piece.TokenIds.Count;
            if (piece.Text.Length == 0 && piece.FinishReason is null) continue;
            var update = new ChatResponseUpdate(ChatRole.Assistant, piece.Text)
            {
                ResponseId = responseId,
                MessageId = responseId,
                ModelId = modelId,
                CreatedAt = DateTimeOffset.UtcNow,
                RawRepresentation = piece,
            };
            if (piece.FinishReason is { } finish)
            {
                long input = Sampler.CountTokens(prompt);
                update.FinishReason = ChatOptionsMapping.ToChat(finish);
                update.Contents.Add(new UsageContent(new UsageDetails
                {
                    InputTokenCount = input,
                    OutputTokenCount = generated,
                    TotalTokenCount = input + generated,
                }));
            }
            yield return update;
        }
    }

    /// <inheritdoc />
    /// <remarks>Answers <see cref="ISampler"/> (the sampler), <see cref="ChatClientMetadata"/> and this client's own type.</remarks>
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is not null) return null;
        if (serviceType == typeof(ChatClientMetadata)) return _metadata;
        if (serviceType.IsInstanceOfType(this)) return this;
        if (serviceType.IsInstanceOfType(Sampler)) return Sampler;
        return null;
    }

    /// <summary>Does nothing: the sampler belongs to the caller.</summary>
    public void Dispose()
    {
    }
}
