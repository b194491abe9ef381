using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Turns next-token logits into chosen tokens: temperature, then top-k, top-p and min-p truncation
/// (the order transformers and vLLM use), then a draw from the seeded generator.
/// </summary>
/// <remarks>
/// Per step it computes only what the options need: greedy is an argmax; a draw is one softmax, one prefix sum and
/// one uniform number per row (<see cref="TokenDrawMethod.InverseCdf"/>); top-k and top-p look at a candidate set
/// (the k best, or the best few hundred whose mass reaches p) instead of sorting the vocabulary; the log-probability
/// of the chosen token is only computed when asked for.
/// </remarks>
internal static class TokenSampler
{
    /// <summary>Candidates top-p looks at first; it widens (to 1024, then the vocabulary) for the rows that need more.</summary>
    private const int FirstCandidateCount = 64;

    /// <summary>Chosen token per row and its log-probability under the model (before temperature and truncation; 0 when not asked for).</summary>
    public static (long[] Tokens, float[] Logprobs) Sample(Tensor logits, SamplingOptions options, Generator generator,
        TokenDrawMethod method = TokenDrawMethod.InverseCdf)
    {
        using var scope = NewDisposeScope();
        var x = logits.to(ScalarType.Float32);
        Tensor chosen = options.Temperature == 0 ? x.argmax(-1, keepdim: true)
            : method == TokenDrawMethod.Multinomial ? Truncate(x / options.Temperature, options).softmax(-1).multinomial(1, generator: generator)
            : Draw(options.Temperature == 1 ? x : x / options.Temperature, options, generator);
        long[] ids = chosen.squeeze(-1).cpu().data<long>().ToArray();
        float[] logprobs = options.IncludeLogprobs
            ? (x.gather(-1, chosen) - x.logsumexp(-1, keepdim: true)).squeeze(-1).cpu().data<float>().ToArray()
            : new float[ids.Length];
        return (ids, logprobs);
    }

    /// <summary>Inverse-CDF draw [B, 1] from the truncated distribution of the tempered logits <paramref name="scaled"/>.</summary>
    private static Tensor Draw(Tensor scaled, SamplingOptions options, Generator generator)
    {
        long vocab = scaled.shape[^1];
        int? topK = options.TopK is > 0 and var k && k < vocab ? k : null;
        bool topP = options.TopP is < 1.0;
        if (topK is null && !topP)
        {
            var probs = scaled.softmax(-1);
            if (options.MinP is > 0 and var minP) probs = probs.masked_fill(probs < probs.max(-1, keepdim: true).values * minP, 0);
            return InverseCdf(probs, generator);
        }

        // Candidates in descending order. With top-k they are the k best and the distribution is renormalised over
        // them (as masking the rest to -inf does); with top-p alone they must hold the rows' whole nucleus.
        Tensor candidateProbs, candidateIds;
        if (topK is { } kept)
        {
            (var values, candidateIds) = scaled.topk(kept, dim: -1);
            candidateProbs = values.softmax(-1);
        }
        else
        {
            var full = scaled.softmax(-1);
            (candidateProbs, candidateIds) = NucleusCandidates(full, options.TopP!.Value);
        }

        if (topP)
        {
            // Drop a candidate when those ranked above it already reach p; the best one always stays.
            var drop = (candidateProbs.cumsum(-1) - candidateProbs) >= options.TopP!.Value;
            candidateProbs = candidateProbs.masked_fill(drop, 0);
        }
        if (options.MinP is > 0 and var m)
            candidateProbs = candidateProbs.masked_fill(candidateProbs < candidateProbs[.., 0..1] * m, 0);
        return candidateIds.gather(-1, InverseCdf(candidateProbs, generator));
    }

    /// <summary>
    /// The smallest top-n (64, 1024, or all) whose probability mass reaches p in every row; any token past it would be
    /// dropped by top-p anyway, so drawing among these is exact.
    /// </summary>
    private static (Tensor Probs, Tensor Ids) NucleusCandidates(Tensor probs, double p)
    {
        long vocab = probs.shape[^1];
        for (long n = Math.Min(FirstCandidateCount, vocab); ; n = Math.Min(n * 16, vocab))
        {
            var (values, ids) = probs.topk((int)n, dim: -1);
            if (n == vocab || (values.sum(-1) >= p).all().item<bool>()) return (values, ids);
        }
    }

    /// <summary>
    /// One uniform number per row against the prefix sums of (unnormalised, non-negative) <paramref name="weights"/>:
    /// the first index whose cumulative weight exceeds u x total. A zero-weight entry can never be chosen.
    /// </summary>
    private static Tensor InverseCdf(Tensor weights, Generator generator)
    {
        var cdf = weights.cumsum(-1);
        var total = cdf[.., ^1..];
        var u = rand(weights.shape[0], 1, generator: generator, device: weights.device) * total;
        return searchsorted(cdf, u, right: true).clamp_max(weights.shape[^1] - 1);
    }

    /// <summary>Sets the logits of excluded tokens to -inf (the whole-vocabulary form, used by <see cref="TokenDrawMethod.Multinomial"/>). The most likely token always survives.</summary>
    internal static Tensor Truncate(Tensor scaled, SamplingOptions options)
    {
        var x = scaled;
        long vocab = x.shape[^1];
        if (options.TopK is > 0 and var k && k < vocab)
        {
            var kth = x.topk(k, dim: -1).values[.., (k - 1)..k];
            x = x.masked_fill(x < kth, float.NegativeInfinity);
        }
        if (options.TopP is { } p && p < 1.0)
        {
            var (sorted, order) = x.sort(-1, descending: true);
            var probs = sorted.softmax(-1);
            // Drop a token when the tokens ranked above it already reach p.
            var drop = (probs.cumsum(-1) - probs) >= p;
            var kept = sorted.masked_fill(drop, float.NegativeInfinity);
            x = full_like(x, float.NegativeInfinity).scatter(-1, order, kept);
        }
        if (options.MinP is { } minP && minP > 0)
        {
            var probs = x.softmax(-1);
            var threshold = probs.max(-1, keepdim: true).values * minP;
            x = x.masked_fill(probs < threshold, float.NegativeInfinity);
        }
        return x;
    }
}
