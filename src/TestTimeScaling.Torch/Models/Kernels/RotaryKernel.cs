using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Rotary embeddings (rotate half) read straight out of a projection's output and written in attention's
/// [B, heads, T, head_dim] layout: one pass instead of the transpose, slices, negation, concatenation, two products
/// and sum of <see cref="RotaryEmbedding.Apply"/>. Each element is x·cos + (±x')·sin in the same float32 order, so
/// the result equals torch's bit for bit.
/// </summary>
internal static class RotaryKernel
{
    /// <summary>Whether <see cref="Apply"/> handles a source [B, T, width] and cos/sin [B, 1, T, rotary].</summary>
    public static bool Applies(Tensor source, Tensor cos, Tensor sin) =>
        CpuKernel.Fits(source) && CpuKernel.Fits(cos) && CpuKernel.Fits(sin) && source.dim() == 3 && cos.dim() == 4
        && cos.shape[0] == source.shape[0] && cos.shape[1] == 1 && cos.shape[2] == source.shape[1]
        && sin.shape.SequenceEqual(cos.shape) && cos.shape[3] % 2 == 0;

    /// <summary>
    /// Heads <paramref name="heads"/> x <paramref name="headDim"/> starting at column <paramref name="column"/> of each
    /// source row, rotated over their first rotary dimensions (the rest copied): a new tensor [B, heads, T, head_dim].
    /// </summary>
    public static Tensor Apply(Tensor source, long column, int heads, int headDim, Tensor cos, Tensor sin)
    {
        int batch = (int)source.shape[0], length = (int)source.shape[1], width = (int)source.shape[2];
        int rotary = (int)cos.shape[3], half = rotary / 2;
        if (column + (long)heads * headDim > width || rotary > headDim)
            throw new ArgumentException($"Heads {heads} x {headDim} from column {column} do not fit rows of {width} (rotary {rotary}).", nameof(source));
        var y = empty([batch, heads, length, headDim], ScalarType.Float32, source.device);
        ReadOnlySpan<float> x = CpuKernel.Floats(source), c = CpuKernel.Floats(cos), s = CpuKernel.Floats(sin);
        Span<float> o = CpuKernel.Floats(y);
        for (int b = 0; b < batch; b++)
        for (int t = 0; t < length; t++)
        {
            var cr = c.Slice((b * length + t) * rotary, rotary);
            var sr = s.Slice((b * length + t) * rotary, rotary);
            for (int h = 0; h < heads; h++)
            {
                var xi = x.Slice((b * length + t) * width + (int)column + h * headDim, headDim);
                var yo = o.Slice(((b * heads + h) * length + t) * headDim, headDim);
                for (int d = 0; d < half; d++) yo[d] = xi[d] * cr[d] + -xi[d + half] * sr[d];
                for (int d = half; d < rotary; d++) yo[d] = xi[d] * cr[d] + xi[d - half] * sr[d];
                xi[rotary..].CopyTo(yo[rotary..]);
            }
        }
        return y;
    }
}
