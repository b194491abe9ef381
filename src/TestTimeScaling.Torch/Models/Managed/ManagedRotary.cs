namespace TestTimeScaling.Torch;

/// <summary>
/// Rotary embeddings (rotate half) for <see cref="ManagedDecodeStep"/>: the cos/sin of one position from the
/// decoder's inverse frequencies (every rope schedule but dynamic scaling past the context is baked into them), and
/// the rotation of one head in place. Computed as <see cref="RotaryEmbedding.Compute"/> and
/// <see cref="RotaryKernel"/> do, in float32: the frequency is (float)position · inv_freq, cos and sin are scaled by the
/// attention factor, and each element is x·cos + (±x')·sin. Only the cos/sin may differ from libtorch's in the last bit.
/// </summary>
internal sealed unsafe class ManagedRotary
{
    private readonly float[] _inverseFrequencies;
    private readonly float _factor;

    public ManagedRotary(float[] inverseFrequencies, int rotaryDim, double attentionFactor)
    {
        _inverseFrequencies = inverseFrequencies;
        Dim = rotaryDim;
        _factor = (float)attentionFactor;
    }

    /// <summary>Leading dimensions of each head that rotate (the rest pass through).</summary>
    public int Dim { get; }

    /// <summary>Writes cos and sin [<see cref="Dim"/>] (the two halves equal) of <paramref name="position"/>.</summary>
    public void Fill(long position, float* cos, float* sin)
    {
        int half = Dim / 2;
        float p = position;
        for (int i = 0; i < half; i++)
        {
            float angle = p * _inverseFrequencies[i];
            float c = MathF.Cos(angle), s = MathF.Sin(angle);
            if (_factor != 1f)
            {
                c *= _factor;
                s *= _factor;
            }
            cos[i] = cos[i + half] = c;
            sin[i] = sin[i + half] = s;
        }
    }

    /// <summary>Rotates the first <paramref name="dim"/> elements of one head in place.</summary>
    public static void Rotate(float* x, float* cos, float* sin, int dim)
    {
        int half = dim / 2;
        for (int d = 0; d < half; d++)
        {
            float a = x[d], b = x[d + half];
            x[d] = a * cos[d] + -b * sin[d];
            x[d + half] = b * cos[d + half] + a * sin[d + half];
        }
    }
}
