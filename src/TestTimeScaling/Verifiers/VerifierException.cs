namespace TestTimeScaling;

/// <summary>
/// A verifier failed while a strategy was scoring candidates: it threw, or broke its contract
/// (wrong number of scores, a null score, or a value or step score that is NaN or infinite).
/// </summary>
/// <remarks>
/// Strategies do not swallow verifier failures: guessing a score would silently change which answer
/// wins. Instead they stop at once and throw this exception, which names the strategy and the candidates
/// being scored and carries the compute spent until then, so a caller can log it, retry, or fall back to a
/// verifier-free strategy. The failing verifier's exception is <see cref="Exception.InnerException"/>.
/// Cancellation is not a failure: it ends the search with a <see cref="SearchCanceledException"/>.
/// Finite negative scores are valid (see docs/exceptions.md for how each strategy uses them).
/// </remarks>
public sealed class VerifierException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="strategy">The strategy that was scoring.</param>
    /// <param name="candidateIndex">Index of the first solution in the batch that failed (in the order the strategy scored them).</param>
    /// <param name="batchSize">How many solutions were in the failing batch.</param>
    /// <param name="usageSoFar">Compute spent before and including the failing call.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The verifier's own exception, when it threw.</param>
    public VerifierException(string strategy, int candidateIndex, int batchSize, Usage usageSoFar, string message, Exception? inner = null)
        : this(strategy, verifier: null, candidateIndex, batchSize, usageSoFar, message, inner)
    {
    }

    /// <summary>Creates the exception, naming the verifier.</summary>
    /// <param name="strategy">The strategy that was scoring.</param>
    /// <param name="verifier">The verifier's name (its type name), or null when unknown.</param>
    /// <param name="candidateIndex">Index of the first solution in the batch that failed (in the order the strategy scored them).</param>
    /// <param name="batchSize">How many solutions were in the failing batch.</param>
    /// <param name="usageSoFar">Compute spent before and including the failing call.</param>
    /// <param name="message">What went wrong.</param>
    /// <param name="inner">The verifier's own exception, when it threw.</param>
    public VerifierException(string strategy, string? verifier, int candidateIndex, int batchSize, Usage usageSoFar, string message, Exception? inner = null)
        : base($"The verifier {verifier ?? "(unnamed)"} failed in strategy '{strategy}' while scoring candidate{(batchSize == 1 ? $" {candidateIndex}" : $"s {candidateIndex}..{candidateIndex + batchSize - 1}")}: {message}", inner)
    {
        Strategy = strategy;
        Verifier = verifier;
        CandidateIndex = candidateIndex;
        BatchSize = batchSize;
        UsageSoFar = usageSoFar;
    }

    /// <summary>The strategy that was scoring.</summary>
    public string Strategy { get; }

    /// <summary>The verifier's type name (the innermost, when it is wrapped by an aggregator), or null when unknown.</summary>
    public string? Verifier { get; }

    /// <summary>Index of the first solution of the failing batch; exact when <see cref="BatchSize"/> is 1.</summary>
    public int CandidateIndex { get; }

    /// <summary>Solutions in the failing batch.</summary>
    public int BatchSize { get; }

    /// <summary>Compute the strategy had spent when the verifier failed.</summary>
    public Usage UsageSoFar { get; }
}
