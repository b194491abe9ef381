using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Attention over rows that share KV segments, computed in two parts and merged exactly (cascade inference,
/// Hydragen): the queries of every row that references a segment attend to its keys in one batched product (the
/// segment is read once per step, however many rows share it), every row attends to its own suffix, and the two
/// partial softmaxes are combined with their log-sum-exps.
/// </summary>
/// <remarks>
/// With s and u the log-sum-exps of a query's scores over the shared part and over its suffix, and o_s, o_u the
/// softmax-weighted values of each part, the full attention is (e^s o_s + e^u o_u) / (e^s + e^u) = o_s + σ(u - s)(o_u - o_s):
/// the same numbers as one softmax over the concatenated keys, up to rounding. A row that reads no shared slot has
/// s = -inf (or a shared part masked by <see cref="SharedPrefixGroup.Masked"/>, far below any score), so σ = 1 and it
/// gets o_u. Grouped-query heads are folded into the query axis, as the dense path does, so each key/value head is
/// read once.
/// </remarks>
internal static class CascadeAttention
{
    /// <summary>
    /// Attention output [B, T, heads * head_dim] of rotated queries <paramref name="queries"/> [B, heads, T, head_dim]
    /// over each row's shared segment and its own suffix keys/values [B, kv_heads, SuffixLength, head_dim].
    /// </summary>
    public static Tensor Forward(Tensor queries, Tensor suffixKeys, Tensor suffixValues, AttentionStep step, int layer, bool sliding)
    {
        long batch = queries.shape[0], heads = queries.shape[1], length = queries.shape[2], dim = queries.shape[3];
        long kvHeads = suffixKeys.shape[1], keys = suffixKeys.shape[2];
        long rep = heads / kvHeads;
        // Scaled once for both parts (SDPA's 1/sqrt(head_dim)).
        using var scale = (1.0 / Math.Sqrt(dim)).ToScalar();
        var scaled = queries * scale;

        // Every row over its own suffix: [B, kv, rep*T, D] against [B, kv, Ws, D].
        var grouped = scaled.reshape(batch, kvHeads, rep * length, dim);
        var suffixBias = (sliding ? step.SlidingSuffixBias : step.SuffixBias)!;
        var (output, logSumExp) = Partial(grouped, suffixKeys, suffixValues,
            [batch, kvHeads, rep, length, keys], suffixBias.view(batch, 1, 1, -1, keys));

        // Each segment once, for all of its rows: [kv, n*rep*T, D] against [kv, S, D].
        Tensor? sharedOutput = null, sharedLogSumExp = null;
        foreach (var group in step.SharedGroups)
        {
            long n = group.RowCount, slots = group.KeyLength;
            var rows = group.Rows is null ? scaled : scaled.index_select(0, group.Rows);
            var folded = rows.reshape(n, kvHeads, rep * length, dim).transpose(0, 1).reshape(kvHeads, n * rep * length, dim);
            var segmentKeys = group.Segment.Keys(layer).narrow(1, 0, slots);
            var segmentValues = group.Segment.Values(layer).narrow(1, 0, slots);
            var bias = (sliding ? group.SlidingBias : group.Bias)!;
            var (o, s) = Partial(folded, segmentKeys, segmentValues, [kvHeads, n, rep, length, slots], bias.view(1, n, 1, -1, slots));
            var rowOutput = o.view(kvHeads, n, rep * length, dim).transpose(0, 1); // [n, kv, rep*T, D]
            var rowLogSumExp = s.view(kvHeads, n, rep * length).transpose(0, 1);   // [n, kv, rep*T]
            if (group.Rows is null)
            {
                (sharedOutput, sharedLogSumExp) = (rowOutput, rowLogSumExp);
                continue;
            }
            sharedOutput ??= zeros_like(output);
            sharedLogSumExp ??= full_like(logSumExp, HeldScalars.NegativeInfinity);
            sharedOutput.index_copy_(0, group.Rows, rowOutput);
            sharedLogSumExp.index_copy_(0, group.Rows, rowLogSumExp);
        }

        // The suffix part is never empty (a query always sees its own key), so its log-sum-exp is finite.
        var suffixShare = (logSumExp - sharedLogSumExp!).sigmoid_().unsqueeze(-1);
        if (suffixShare.dtype != output.dtype) suffixShare = suffixShare.to(output.dtype);
        var merged = sharedOutput!.lerp(output, suffixShare);
        return merged.reshape(batch, heads, length, dim).transpose(1, 2).reshape(batch, length, heads * dim);
    }

    /// <summary>
    /// Softmax attention of pre-scaled <paramref name="queries"/> [.., M, D] over <paramref name="keys"/> [.., S, D] under
    /// an additive mask, returning the normalised output [.., M, D] and the scores' log-sum-exp [.., M]. Scores are
    /// viewed as <paramref name="scoreShape"/> to add the mask.
    /// </summary>
    private static (Tensor Output, Tensor LogSumExp) Partial(Tensor queries, Tensor keys, Tensor values, long[] scoreShape, Tensor bias)
    {
        var scores = matmul(queries, keys.transpose(-2, -1));
        // Half-precision scores are exponentiated in float32, as fused attention kernels do.
        if (scores.dtype != ScalarType.Float32 && scores.dtype != ScalarType.Float64) scores = scores.to(ScalarType.Float32);
        scores.view(scoreShape).PlusInPlace(bias);
        var logSumExp = scores.logsumexp(-1, keepdim: true);
        var weights = scores.sub_(logSumExp).exp_();
        if (weights.dtype != values.dtype) weights = weights.to(values.dtype);
        return (matmul(weights, values), logSumExp.squeeze(-1));
    }
}
