namespace TestTimeScaling;

/// <summary>
/// What a chat template is rendered with besides the messages: the special tokens, tools and documents, extra
/// variables, the clock for <c>strftime_now</c>, and the limits that stop a runaway template.
/// </summary>
public sealed record ChatTemplateOptions
{
    /// <summary>The default options: no special tokens, the system clock, the default limits.</summary>
    public static ChatTemplateOptions Default { get; } = new();

    /// <summary><c>bos_token</c>; when null the variable is undefined, as transformers leaves it for a tokenizer without one.</summary>
    public string? BosToken { get; init; }

    /// <summary><c>eos_token</c>; when null the variable is undefined.</summary>
    public string? EosToken { get; init; }

    /// <summary><c>tools</c>: the tool (function) schemas, typically a list of JSON objects; null renders as Python <c>None</c>.</summary>
    public object? Tools { get; init; }

    /// <summary><c>documents</c> for retrieval-augmented templates; null renders as Python <c>None</c>.</summary>
    public object? Documents { get; init; }

    /// <summary>
    /// Further variables (e.g. <c>pad_token</c>, <c>unk_token</c>, <c>enable_thinking</c>, <c>date_string</c>);
    /// they override the ones above of the same name, as keyword arguments do in transformers.
    /// </summary>
    public IReadOnlyDictionary<string, object?>? AdditionalVariables { get; init; }

    /// <summary>
    /// End the prompt inside the last message, so the model continues it (transformers' <c>continue_final_message</c>):
    /// the render is cut after the final message's content. Cannot be combined with a generation prompt.
    /// </summary>
    public bool ContinueFinalMessage { get; init; }

    /// <summary>The clock <c>strftime_now</c> reads (local time, as transformers' <c>datetime.now()</c>).</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>The most characters a render may produce (and the longest string it may build); default 16 Mi.</summary>
    public int MaxOutputLength { get; init; } = 16 * 1024 * 1024;

    /// <summary>The most for-loop iterations one render may run; default 1,000,000.</summary>
    public long MaxLoopIterations { get; init; } = 1_000_000;

    /// <summary>Throws <see cref="ArgumentOutOfRangeException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOutputLength, nameof(MaxOutputLength));
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxLoopIterations, nameof(MaxLoopIterations));
    }
}
