namespace TestTimeScaling;

/// <summary>
/// A sampler broke its contract while a strategy was using it: it returned no result, a null completion list,
/// a null completion or a completion with null text or token ids, or it generated more tokens than the call's
/// allowance.
/// </summary>
/// <remarks>
/// Every strategy checks each sampler result in one place and throws this at the first broken row, naming the
/// strategy, the sampler and the row, with the compute spent so far, so the same bad sampler fails the same way
/// everywhere. Empty text (a row that generated nothing, or only a stop sequence) is not a failure: it is a
/// candidate without an answer. Exceptions the sampler itself throws propagate unchanged.
/// </remarks>
public sealed class SamplerException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="strategy">The strategy that called the sampler.</param>
    /// <param name="sampler">The sampler's name (its type name).</param>
    /// <param name="row">Index of the broken row within the call's result, or -1 when the whole result is at fault.</param>
    /// <param name="usageSoFar">Compute spent before and including the failing call.</param>
    /// <param name="message">What was wrong.</param>
    public SamplerException(string strategy, string sampler, int row, Usage usageSoFar, string message)
        : base($"The sampler {sampler} broke its contract in strategy '{strategy}'{(row >= 0 ? $" at row {row}" : "")}: {message}")
    {
        Strategy = strategy;
        Sampler = sampler;
        Row = row;
        UsageSoFar = usageSoFar;
    }

    /// <summary>The strategy that called the sampler.</summary>
    public string Strategy { get; }

    /// <summary>The sampler's type name.</summary>
    public string Sampler { get; }

    /// <summary>Index of the broken row in the call's result, or -1 when the result itself was null.</summary>
    public int Row { get; }

    /// <summary>Compute the strategy had spent when the sampler failed.</summary>
    public Usage UsageSoFar { get; }
}
