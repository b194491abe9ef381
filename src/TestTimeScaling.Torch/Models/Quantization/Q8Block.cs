namespace TestTimeScaling.Torch;

/// <summary>
/// ggml's Q8_0 block quantizer: per block of 32 weights, a scale d = max|x| / 127 stored as fp16 and each weight
/// round(x / d) (half away from zero) in a signed byte. Shared by the GGUF exporter and the decode-time Q8_0 copy
/// (<see cref="Q8Matrix"/>), so both hold bit for bit what llama.cpp's reference quantizer writes.
/// </summary>
internal static class Q8Block
{
    /// <summary>Weights per block (ggml's QK8_0).</summary>
    public const int Size = 32;

    /// <summary>
    /// Quantizes <paramref name="x"/> (at most <see cref="Size"/> values; a shorter last block of a row is quantized on
    /// its own values) into <paramref name="quants"/> and returns the block's scale as fp16. As ggml does, the weights
    /// are divided by the unrounded scale; a reader multiplies by the fp16 one.
    /// </summary>
    public static Half Quantize(ReadOnlySpan<float> x, Span<sbyte> quants)
    {
        float amax = 0;
        foreach (float v in x) amax = MathF.Max(amax, MathF.Abs(v));
        float d = amax / 127f;
        float inverse = d != 0 ? 1f / d : 0f;
        for (int j = 0; j < x.Length; j++)
            quants[j] = (sbyte)MathF.Round(x[j] * inverse, MidpointRounding.AwayFromZero);
        return (Half)d;
    }
}
