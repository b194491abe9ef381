using Microsoft.Extensions.AI;

namespace TestTimeScaling.Extensions.AI;

/// <summary>What a <see cref="ScalingChatClient"/> runs its strategy with, besides the strategy itself.</summary>
public sealed class ScalingChatClientOptions
{
    private int _maxConcurrentChatCalls = 4;

    /// <summary>Judges candidates; strategies that need one refuse without it.</summary>
    public IVerifier? Verifier { get; set; }

    /// <summary>
    /// Finds final answers for voting and search. The default takes the whole last non-empty line (no task-specific
    /// marker); set the task's extractor (for example <see cref="LastLineAnswerExtractor.Default"/> for the embedded
    /// arithmetic models, whose answers end with <c>A: 63</c>).
    /// </summary>
    public IAnswerExtractor AnswerExtractor { get; set; } = new LastLineAnswerExtractor(marker: null);

    /// <summary>What one call may spend; required (the <c>UseXxx</c> extensions set the budget their size implies).</summary>
    public Budget? Budget { get; set; }

    /// <summary>Sampling settings where the call's <see cref="ChatOptions"/> say nothing.</summary>
    public SamplingOptions Sampling { get; set; } = new();

    /// <summary>
    /// Renders the messages as the problem's prompt; null takes the formatter of a <see cref="SamplerChatClient"/>
    /// below, else <see cref="ChatPrompt.Concatenate"/>.
    /// </summary>
    public Func<IEnumerable<ChatMessage>, string>? PromptFormatter { get; set; }

    /// <summary>Chat calls in flight at once when sampling through the inner client (no native sampler); default 4.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not positive.</exception>
    public int MaxConcurrentChatCalls
    {
        get => _maxConcurrentChatCalls;
        set
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(value);
            _maxConcurrentChatCalls = value;
        }
    }

    /// <summary>Name of the <c>ActivitySource</c> and <c>Meter</c>; null for <see cref="ScalingChatClient.TelemetrySourceName"/>.</summary>
    public string? TelemetrySourceName { get; set; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(AnswerExtractor, nameof(AnswerExtractor));
        ArgumentNullException.ThrowIfNull(Sampling, nameof(Sampling));
        if (Budget is null) throw new ArgumentException("A budget is required (Budget).", nameof(Budget));
        Budget.Validate();
        Sampling.Validate();
    }

    /// <summary>A shallow copy, so a client keeps its settings when the caller changes theirs.</summary>
    public ScalingChatClientOptions Clone() => (ScalingChatClientOptions)MemberwiseClone();
}
