using Microsoft.Extensions.AI;

namespace TestTimeScaling.Extensions.AI;

/// <summary>Between <see cref="ChatOptions"/> and <see cref="SamplingOptions"/>; never changes the caller's objects.</summary>
internal static class ChatOptionsMapping
{
    /// <summary><paramref name="baseline"/> with every knob <paramref name="options"/> sets.</summary>
    public static SamplingOptions ToSampling(ChatOptions? options, SamplingOptions baseline)
    {
        if (options is null) return baseline;
        var sampling = baseline with
        {
            Temperature = options.Temperature ?? baseline.Temperature,
            TopP = options.TopP ?? baseline.TopP,
            TopK = options.TopK ?? baseline.TopK,
            MaxNewTokens = options.MaxOutputTokens ?? baseline.MaxNewTokens,
            Seed = options.Seed ?? baseline.Seed,
            StopSequences = options.StopSequences is { Count: > 0 } stops ? [.. stops] : baseline.StopSequences,
        };
        sampling.Validate();
        return sampling;
    }

    /// <summary>A fresh copy of <paramref name="original"/> (or new options) carrying <paramref name="sampling"/>'s knobs.</summary>
    public static ChatOptions ToChatOptions(ChatOptions? original, SamplingOptions sampling, long? seed)
    {
        var options = original?.Clone() ?? new ChatOptions();
        options.Temperature = (float)sampling.Temperature;
        options.TopP = sampling.TopP is { } p ? (float)p : null;
        options.TopK = sampling.TopK;
        options.MaxOutputTokens = sampling.MaxNewTokens;
        options.Seed = seed;
        options.StopSequences = sampling.StopSequences.Count > 0 ? [.. sampling.StopSequences] : null;
        return options;
    }

    public static ChatFinishReason ToChat(FinishReason reason) =>
        reason is FinishReason.Length or FinishReason.Abandoned ? ChatFinishReason.Length : ChatFinishReason.Stop;

    public static FinishReason FromChat(ChatFinishReason? reason) =>
        reason == ChatFinishReason.Length ? FinishReason.Length : FinishReason.Stop;
}
