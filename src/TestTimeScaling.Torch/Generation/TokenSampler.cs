using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Turns next-token logits into chosen tokens: temperature, then top-k, top-p and min-p truncation
/// (the order transformers and vLLM use), then a draw from the seeded generator.
/// </summary>
/// <remarks>
/// Per step it computes only what the options need: greedy is an argmax; a draw (<see cref="TokenDrawMethod.InverseCdf"/>)
/// is one maximum, one exp(x - max) and one sum per block of 256 over the vocabulary, then prefix sums over the block
/// totals and inside the one chosen block, with one uniform number per row (no softmax: the weights stay
/// unnormalised, and at temperature 1 their total is the chosen token's log-normaliser too); top-k and top-p look at
/// a candidate set (the k best, or the best few hundred whose mass reaches p) instead of sorting the vocabulary; the
/// log-probability of the chosen token is only computed when asked for. Whole-row draws and greedy rows on CPU
/// logits run in place in <see cref="CpuTokenDraw"/> (same search, nothing of the vocabulary's size written, rows shared
/// among the kernel threads with the one-thread bits); other devices use the tensor form below.
/// </remarks>
internal static class TokenSampler
{
    /// <summary>Candidates top-p looks at first; it widens (to 1024, then the vocabulary) for the rows that need more.</summary>
    private const int FirstCandidateCount = 64;

    /// <summary>Chosen token per row and its log-probability under the model (before temperature and truncation; 0 when not asked for).</summary>
    public static (long[] Tokens, float[] Logprobs) Sample(Tensor logits, SamplingOptions options, Generator generator,
        TokenDrawMethod method = TokenDrawMethod.InverseCdf) =>
        Sample(logits, options, [new DrawSegment((int)logits.shape[0], generator)], method);

    /// <summary>
    /// Like <see cref="Sample(Tensor, SamplingOptions, Generator, TokenDrawMethod)"/> for rows of several requests
    /// that share these options: <paramref name="segments"/> split the rows, in order, into runs that each draw from
    /// their own generator, so each run consumes its generator exactly as it would sampled alone.
    /// </summary>
    public static (long[] Tokens, float[] Logprobs) Sample(Tensor logits, SamplingOptions options, IReadOnlyList<DrawSegment> segments,
        TokenDrawMethod method = TokenDrawMethod.InverseCdf)
    {
        using var scope = NewDisposeScope();
        var x = logits.to(ScalarType.Float32);
        if (options.Temperature == 0 && CpuTokenDraw.Applies(x))
        {
            var greedyLogprobs = new float[x.shape[0]];
            return (CpuTokenDraw.Greedy(x, options.IncludeLogprobs ? greedyLogprobs : null), greedyLogprobs);
        }
        if (options.Temperature > 0 && method == TokenDrawMethod.InverseCdf && !Truncates(options, x.shape[^1]) && CpuTokenDraw.Applies(x))
        {
            // Whole-row draws on CPU logits read them in place (same uniforms from the same generators).
            var uniforms = Uniform(segments, x.device).data<float>().ToArray();
            var cpuLogprobs = new float[uniforms.Length];
            var cpuTokens = CpuTokenDraw.Draw(x, options.Temperature, options.MinP ?? 0, uniforms, options.IncludeLogprobs ? cpuLogprobs : null);
            return (cpuTokens, cpuLogprobs);
        }
        // The model's log-normaliser log(sum exp x) per row [B, 1], when a draw computes it on the way (temperature 1).
        Tensor? logNormaliser = null;
        using var temperature = options.Temperature.ToScalar();
        Tensor chosen = options.Temperature == 0 ? x.argmax(-1, keepdim: true)
            : method == TokenDrawMethod.Multinomial ? Multinomial(Truncate(x / temperature, options).softmax(-1), segments)
            : Draw(options.Temperature == 1 ? x : x / temperature, options, segments, options.Temperature == 1, out logNormaliser);
        long[] ids = chosen.squeeze(-1).cpu().data<long>().ToArray();
        float[] logprobs = options.IncludeLogprobs
            ? (x.gather(-1, chosen) - (logNormaliser ?? x.logsumexp(-1, keepdim: true))).squeeze(-1).cpu().data<float>().ToArray()
            : new float[ids.Length];
        return (ids, logprobs);
    }

    /// <summary>Whether top-k or top-p cut the distribution to a candidate set.</summary>
    private static bool Truncates(SamplingOptions options, long vocab) =>
        options.TopK is > 0 and var k && k < vocab || options.TopP is < 1.0;

    /// <summary>
    /// Inverse-CDF draw [B, 1] from the truncated distribution of the tempered logits <paramref name="scaled"/>. When
    /// <paramref name="wantNormaliser"/>, also gives log(sum exp scaled) per row when it comes for free (else null).
    /// </summary>
    private static Tensor Draw(Tensor scaled, SamplingOptions options, IReadOnlyList<DrawSegment> segments, bool wantNormaliser, out Tensor? logNormaliser)
    {
        logNormaliser = null;
        long vocab = scaled.shape[^1];
        int? topK = options.TopK is > 0 and var k && k < vocab ? k : null;
        bool topP = options.TopP is < 1.0;
        if (topK is null && !topP)
        {
            // Unnormalised weights exp(x - max): the largest is 1, so min-p compares against minP directly, and the
            // row's total gives the log-normaliser without a second pass over the vocabulary.
            var max = scaled.amax([-1], keepdim: true);
            var weights = scaled.sub(max).exp_();
            if (vocab < TwoLevelVocabulary)
            {
                if (wantNormaliser) logNormaliser = weights.sum(-1, keepdim: true).log_().PlusInPlace(max);
                if (options.MinP is > 0 and var smallMinP)
                {
                    using var threshold = smallMinP.ToScalar();
                    weights.masked_fill_(weights < threshold, HeldScalars.Zero);
                }
                return InverseCdf(weights, segments);
            }
            var (blocks, blockSums) = BlockSums(weights);
            if (wantNormaliser) logNormaliser = blockSums.sum(-1, keepdim: true).log_().PlusInPlace(max);
            if (options.MinP is > 0 and var minP)
            {
                using var threshold = minP.ToScalar();
                weights.masked_fill_(weights < threshold, HeldScalars.Zero);
                (blocks, blockSums) = BlockSums(weights);
            }
            using var lastToken = (vocab - 1).ToScalar();
            return TwoLevelInverseCdf(blocks, blockSums, segments).clamp_max(lastToken);
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
            var normaliser = scaled.logsumexp(-1, keepdim: true);
            if (wantNormaliser) logNormaliser = normaliser;
            (candidateProbs, candidateIds) = NucleusCandidates(scaled, normaliser, options.TopP!.Value);
        }

        if (topP)
        {
            // Drop a candidate when those ranked above it already reach p; the best one always stays.
            using var p = options.TopP!.Value.ToScalar();
            var drop = (candidateProbs.cumsum(-1) - candidateProbs) >= p;
            candidateProbs = candidateProbs.masked_fill(drop, HeldScalars.Zero);
        }
        if (options.MinP is > 0 and var m)
        {
            using var minP = m.ToScalar();
            candidateProbs = candidateProbs.masked_fill(candidateProbs < candidateProbs[.., 0..1] * minP, HeldScalars.Zero);
        }
        return candidateIds.gather(-1, InverseCdf(candidateProbs, segments));
    }

    /// <summary>Vocabularies from this size on draw in two levels; below it one prefix sum over the row is as cheap.</summary>
    internal const int TwoLevelVocabulary = 4 * BlockSize;

    /// <summary>Width of the blocks of the two-level draw: one prefix sum over the block totals, one inside a block.</summary>
    private const int BlockSize = 256;

    /// <summary>
    /// <paramref name="weights"/> [B, V] viewed as blocks [B, V/256, 256] (zero-padded when V is not a multiple), and
    /// each block's total [B, V/256].
    /// </summary>
    private static (Tensor Blocks, Tensor Sums) BlockSums(Tensor weights)
    {
        long vocab = weights.shape[^1];
        long padded = (vocab + BlockSize - 1) / BlockSize * BlockSize;
        var full = padded == vocab ? weights : nn.functional.pad(weights, [0, padded - vocab]);
        var blocks = full.view(weights.shape[0], padded / BlockSize, BlockSize);
        return (blocks, blocks.sum(-1));
    }

    /// <summary>
    /// The inverse-CDF draw in two levels, exact like the one-level form: one uniform number per row picks a block
    /// against the prefix sums of the block totals, then the token inside that block against the block's own prefix
    /// sums, with what is left of the number. Only [B, V/256] and [B, 256] prefix sums are computed instead of [B, V].
    /// </summary>
    private static Tensor TwoLevelInverseCdf(Tensor blocks, Tensor blockSums, IReadOnlyList<DrawSegment> segments)
    {
        var blockCdf = blockSums.cumsum(-1);
        var total = blockCdf[.., ^1..];
        // u < total strictly (u = total has probability ~1e-7 and would point past the last non-empty block).
        var u = minimum(Uniform(segments, blocks.device) * total, total * BelowOneScalar);
        using var lastBlock = (blockSums.shape[^1] - 1).ToScalar();
        var block = searchsorted(blockCdf, u, right: true).clamp_max(lastBlock);
        // What the blocks before the chosen one hold: the previous prefix sum itself, which u is not below.
        var before = nn.functional.pad(blockCdf[.., ..^1], [1, 0]).gather(-1, block);
        var inBlock = blocks.gather(1, block.unsqueeze(-1).expand(-1, 1, BlockSize)).squeeze(1);
        var inCdf = inBlock.cumsum(-1);
        var rest = minimum(u - before, inCdf[.., ^1..] * BelowOneScalar);
        var token = searchsorted(inCdf, rest, right: true).clamp_max(LastInBlock);
        return (block * BlockSizeScalar).Plus(token);
    }

    /// <summary>The largest float below 1 by a margin that survives one rounding of a product (1 - 2^-23).</summary>
    private const float BelowOne = 1f - 1f / (1 << 23);

    // The constants above as scalars libtorch can read safely (see HeldScalars).
    private static readonly Scalar BelowOneScalar = BelowOne.ToScalar();
    private static readonly Scalar BlockSizeScalar = BlockSize.ToScalar();
    private static readonly Scalar LastInBlock = (BlockSize - 1).ToScalar();

    /// <summary>One uniform number per row, each segment's rows from its own generator.</summary>
    private static Tensor Uniform(IReadOnlyList<DrawSegment> segments, Device device) => segments.Count == 1
        ? rand(segments[0].Rows, 1, generator: segments[0].Generator, device: device)
        : cat(segments.Select(s => rand(s.Rows, 1, generator: s.Generator, device: device)).ToArray(), 0);

    /// <summary>
    /// The smallest top-n (64, 1024, or all) whose probability mass reaches p in every row; any token past it would be
    /// dropped by top-p anyway, so drawing among these is exact. Ranks the logits themselves (the order of their
    /// probabilities) and turns only the candidates into probabilities with the row's log-normaliser.
    /// </summary>
    private static (Tensor Probs, Tensor Ids) NucleusCandidates(Tensor scaled, Tensor logNormaliser, double p)
    {
        long vocab = scaled.shape[^1];
        for (long n = Math.Min(FirstCandidateCount, vocab); ; n = Math.Min(n * 16, vocab))
        {
            var (values, ids) = scaled.topk((int)n, dim: -1);
            var probs = (values - logNormaliser).exp_();
            using var mass = p.ToScalar();
            if (n == vocab || (probs.sum(-1) >= mass).all().item<bool>()) return (probs, ids);
        }
    }

    /// <summary>
    /// One uniform number per row against the prefix sums of (unnormalised, non-negative) <paramref name="weights"/>:
    /// the first index whose cumulative weight exceeds u x total. A zero-weight entry can never be chosen.
    /// </summary>
    private static Tensor InverseCdf(Tensor weights, IReadOnlyList<DrawSegment> segments)
    {
        var cdf = weights.cumsum(-1);
        var total = cdf[.., ^1..];
        var u = minimum(Uniform(segments, weights.device) * total, total * BelowOneScalar);
        using var lastToken = (weights.shape[^1] - 1).ToScalar();
        return searchsorted(cdf, u, right: true).clamp_max(lastToken);
    }

    /// <summary>torch's multinomial draw per segment, each from its own generator.</summary>
    private static Tensor Multinomial(Tensor probs, IReadOnlyList<DrawSegment> segments)
    {
        if (segments.Count == 1) return probs.multinomial(1, generator: segments[0].Generator);
        var parts = new Tensor[segments.Count];
        long offset = 0;
        for (int i = 0; i < segments.Count; i++)
        {
            parts[i] = probs.narrow(0, offset, segments[i].Rows).multinomial(1, generator: segments[i].Generator);
            offset += segments[i].Rows;
        }
        return cat(parts, 0);
    }

    /// <summary>Sets the logits of excluded tokens to -inf (the whole-vocabulary form, used by <see cref="TokenDrawMethod.Multinomial"/>). The most likely token always survives.</summary>
    internal static Tensor Truncate(Tensor scaled, SamplingOptions options)
    {
        var x = scaled;
        long vocab = x.shape[^1];
        if (options.TopK is > 0 and var k && k < vocab)
        {
            var kth = x.topk(k, dim: -1).values[.., (k - 1)..k];
            x = x.masked_fill(x < kth, HeldScalars.NegativeInfinity);
        }
        if (options.TopP is { } p && p < 1.0)
        {
            var (sorted, order) = x.sort(-1, descending: true);
            var probs = sorted.softmax(-1);
            // Drop a token when the tokens ranked above it already reach p.
            using var mass = p.ToScalar();
            var drop = (probs.cumsum(-1) - probs) >= mass;
            var kept = sorted.masked_fill(drop, HeldScalars.NegativeInfinity);
            x = full_like(x, HeldScalars.NegativeInfinity).scatter(-1, order, kept);
        }
        if (options.MinP is { } minP && minP > 0)
        {
            var probs = x.softmax(-1);
            using var share = minP.ToScalar();
            var threshold = probs.max(-1, keepdim: true).values * share;
            x = x.masked_fill(probs < threshold, HeldScalars.NegativeInfinity);
        }
        return x;
    }
}

/// <summary>A run of consecutive rows that draw from one generator (one request's rows in a shared batch).</summary>
internal readonly record struct DrawSegment(int Rows, Generator Generator);
