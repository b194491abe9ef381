namespace TestTimeScaling.Torch;

/// <summary>How the engine draws a token from the (tempered, truncated) next-token distribution. Both draw from
/// the same distribution; they consume the seeded generator differently, so the same seed gives different samples.</summary>
public enum TokenDrawMethod
{
    /// <summary>
    /// One uniform number per row against the cumulative distribution (inverse-CDF sampling), with top-k and top-p
    /// worked out on a small candidate set: a softmax and a prefix sum per row instead of a random number per
    /// vocabulary entry. The default.
    /// </summary>
    InverseCdf,

    /// <summary>
    /// torch's <c>multinomial</c> over the full softmax, as releases up to 0.1 drew tokens. Slower at large
    /// vocabularies and row counts; kept so that runs made with it (the training program's sampling of the shipped
    /// models' reward-model data) reproduce exactly.
    /// </summary>
    Multinomial,
}
