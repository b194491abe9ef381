using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace TestTimeScaling.Torch;

/// <summary>
/// The weights exp((x - max) x inverse) of one block of logits, in one pass where TensorPrimitives' Subtract, Multiply
/// and Exp take three, and bit for bit the same values.
/// </summary>
/// <remarks>
/// The draw's tokens are pinned by seed (docs/scaling-results.md is reproduced exactly), and about one draw in a few
/// hundred over a 32k vocabulary changes when a weight moves by one ulp, so the arithmetic may not change, only the
/// passes. Subtraction and multiplication are exact IEEE operations whatever the vector width; the exponential is
/// the same <c>Vector256.Exp</c> that TensorPrimitives.Exp calls on this width (it applies the vector form to every
/// element of a span of at least one vector, the last one overlapping). Where TensorPrimitives would take another
/// path (no 256-bit vectors, a block shorter than one vector, which goes to the scalar exp) this calls TensorPrimitives
/// itself; with AVX-512 the same holds for 512-bit vectors and blocks of at least 16.
/// </remarks>
internal static class BlockWeights
{
    /// <summary>Whether the fused pass reproduces TensorPrimitives on this machine (else the three calls run).</summary>
    internal static bool Fused { get; } = Vector256.IsHardwareAccelerated && !Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Whether blocks of at least 16 take the fused pass in 512-bit vectors, as TensorPrimitives does them on an
    /// AVX-512 machine (Vector512.Exp on every element, the last vector overlapping). Shorter ones go to TensorPrimitives.
    /// </summary>
    internal static bool FusedWide { get; } = Vector512.IsHardwareAccelerated;

    /// <summary>
    /// Writes exp((x - <paramref name="max"/>) x <paramref name="inverse"/>) of <paramref name="part"/> into the start of
    /// <paramref name="buffer"/> (no multiplication when <paramref name="inverse"/> is 1, as the draw has always done)
    /// and returns that part of the buffer.
    /// </summary>
    public static Span<float> Exp(ReadOnlySpan<float> part, float max, float inverse, Span<float> buffer)
    {
        var weights = buffer[..part.Length];
        if (FusedWide && part.Length >= Vector512<float>.Count) return Wide(part, max, inverse, weights);
        if (!Fused || part.Length < Vector256<float>.Count)
        {
            TensorPrimitives.Subtract(part, max, weights);
            if (inverse != 1) TensorPrimitives.Multiply(weights, inverse, weights);
            TensorPrimitives.Exp(weights, weights);
            return weights;
        }
        ref float source = ref MemoryMarshal.GetReference(part);
        ref float target = ref MemoryMarshal.GetReference(weights);
        var shift = Vector256.Create(max);
        int last = part.Length - Vector256<float>.Count;
        if (inverse == 1)
        {
            for (int i = 0; i < last; i += Vector256<float>.Count) Vector256.Exp(Vector256.LoadUnsafe(ref source, (nuint)i) - shift).StoreUnsafe(ref target, (nuint)i);
            // The last vector ends at the block's end (overlapping the one before when the length is no multiple).
            Vector256.Exp(Vector256.LoadUnsafe(ref source, (nuint)last) - shift).StoreUnsafe(ref target, (nuint)last);
        }
        else
        {
            var scale = Vector256.Create(inverse);
            for (int i = 0; i < last; i += Vector256<float>.Count) Tempered(ref source, ref target, i, shift, scale);
            Tempered(ref source, ref target, last, shift, scale);
        }
        return weights;
    }

    /// <summary>Sets the weights below <paramref name="minP"/> to zero (the best weight is exp(0) = 1, so this is min-p).</summary>
    public static void DropBelow(Span<float> weights, float minP)
    {
        int i = 0;
        if (Vector256.IsHardwareAccelerated)
        {
            ref float at = ref MemoryMarshal.GetReference(weights);
            var threshold = Vector256.Create(minP);
            for (; i <= weights.Length - Vector256<float>.Count; i += Vector256<float>.Count)
            {
                var w = Vector256.LoadUnsafe(ref at, (nuint)i);
                // A NaN weight is not below the threshold and stays, as in the scalar comparison.
                Vector256.AndNot(w, Vector256.LessThan(w, threshold)).StoreUnsafe(ref at, (nuint)i);
            }
        }
        for (; i < weights.Length; i++)
        {
            if (weights[i] < minP) weights[i] = 0;
        }
    }

    // Exp in 512-bit vectors: one pass where Subtract, Multiply and Exp take three (a 64-row draw: 0.65 to 0.40 ms).
    private static Span<float> Wide(ReadOnlySpan<float> part, float max, float inverse, Span<float> weights)
    {
        ref float source = ref MemoryMarshal.GetReference(part);
        ref float target = ref MemoryMarshal.GetReference(weights);
        var shift = Vector512.Create(max);
        int last = part.Length - Vector512<float>.Count;
        if (inverse == 1)
        {
            for (int i = 0; i < last; i += Vector512<float>.Count) Vector512.Exp(Vector512.LoadUnsafe(ref source, (nuint)i) - shift).StoreUnsafe(ref target, (nuint)i);
            Vector512.Exp(Vector512.LoadUnsafe(ref source, (nuint)last) - shift).StoreUnsafe(ref target, (nuint)last);
            return weights;
        }
        var scale = Vector512.Create(inverse);
        for (int i = 0; i < last; i += Vector512<float>.Count)
            Vector512.Exp((Vector512.LoadUnsafe(ref source, (nuint)i) - shift) * scale).StoreUnsafe(ref target, (nuint)i);
        Vector512.Exp((Vector512.LoadUnsafe(ref source, (nuint)last) - shift) * scale).StoreUnsafe(ref target, (nuint)last);
        return weights;
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Tempered(ref float source, ref float target, int i, Vector256<float> shift, Vector256<float> scale) =>
        Vector256.Exp((Vector256.LoadUnsafe(ref source, (nuint)i) - shift) * scale).StoreUnsafe(ref target, (nuint)i);
}
