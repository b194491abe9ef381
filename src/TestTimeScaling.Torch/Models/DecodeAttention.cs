using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Attention of a decode step (one new token per row) over the rows' cached keys, as two batched products and a
/// softmax under an additive mask. At these shapes libtorch's CPU <c>scaled_dot_product_attention</c> with a mask
/// costs several times more (measured on the 22.6M model's heads, 2 threads: 0.25 against 0.05 ms per layer at 8 rows,
/// 2.1 against 0.25 ms at 64 rows), which made an 8-row step of a small model cost twice a 1-row step.
/// </summary>
/// <remarks>
/// The same formula as the dense path (grouped-query heads folded into the query axis, so each key/value head is read
/// once; scale 1/sqrt(head_dim)); the sum runs in another order, so results agree to rounding, not bit for bit.
/// </remarks>
internal static class DecodeAttention
{
    /// <summary>Whether decode steps use it (on by default; measurements turn it off to compare with SDPA in one process).</summary>
    internal static bool Enabled { get; set; } = true;

    /// <summary>
    /// Output [B, 1, heads * head_dim] of rotated queries <paramref name="queries"/> [B, heads, 1, head_dim] over keys
    /// and values [B, kv_heads, S, head_dim], with <paramref name="bias"/> [B, 1, S] (0 where a key is visible, -inf
    /// where not; every row sees at least its own new key).
    /// </summary>
    public static Tensor Forward(Tensor queries, Tensor keys, Tensor values, Tensor bias)
    {
        long batch = queries.shape[0], heads = queries.shape[1], dim = queries.shape[3];
        long kvHeads = keys.shape[1], slots = keys.shape[2];
        using var scale = (1.0 / Math.Sqrt(dim)).ToScalar();
        var grouped = queries.reshape(batch, kvHeads, heads / kvHeads, dim) * scale;
        var scores = matmul(grouped, keys.transpose(-2, -1)); // [B, kv, rep, S]
        // Half-precision scores are exponentiated in float32, as fused attention kernels do.
        if (scores.dtype != ScalarType.Float32 && scores.dtype != ScalarType.Float64) scores = scores.to(ScalarType.Float32);
        scores.PlusInPlace(bias.view(batch, 1, 1, slots));
        var weights = scores.softmax(-1);
        if (weights.dtype != values.dtype) weights = weights.to(values.dtype);
        return matmul(weights, values).reshape(batch, 1, heads * dim);
    }
}
