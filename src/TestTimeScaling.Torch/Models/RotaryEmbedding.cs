using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Rotary position embeddings in Hugging Face's "rotate half" layout (the two halves of each head are
/// the real and imaginary parts), with optional Llama 3 frequency scaling.
/// </summary>
internal sealed class RotaryEmbedding : IDisposable
{
    private readonly Tensor _invFreq; // [head_dim / 2], float32

    public RotaryEmbedding(ModelConfig config, Device device)
    {
        int dim = config.HeadDim;
        // Same float32 arithmetic as transformers: 1 / theta^(arange(0, dim, 2) / dim).
        using var exponent = arange(0, dim, 2, dtype: ScalarType.Int64).to(ScalarType.Float32) / dim;
        using var basePow = pow(tensor((float)config.RopeTheta), exponent);
        var invFreq = 1.0f / basePow;
        if (config.RopeScaling is { RopeType: "llama3" } scaling)
        {
            var scaled = Llama3Scale(invFreq, scaling);
            invFreq.Dispose();
            invFreq = scaled;
        }
        _invFreq = invFreq.to(device);
        if (!ReferenceEquals(_invFreq, invFreq)) invFreq.Dispose();
    }

    /// <summary>Llama 3 scaling: long wavelengths are divided by the factor, short ones kept, the band between interpolated.</summary>
    private static Tensor Llama3Scale(Tensor invFreq, RopeScaling s)
    {
        using var scope = NewDisposeScope();
        double oldContext = s.OriginalMaxPositionEmbeddings;
        double lowFreqWavelen = oldContext / s.LowFreqFactor;
        double highFreqWavelen = oldContext / s.HighFreqFactor;
        var wavelen = 2 * Math.PI / invFreq;
        var llama = where(wavelen > lowFreqWavelen, invFreq / s.Factor, invFreq);
        var smooth = (oldContext / wavelen - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        var smoothed = (1 - smooth) * llama / s.Factor + smooth * llama;
        var medium = (wavelen >= highFreqWavelen).logical_and(wavelen <= lowFreqWavelen);
        return where(medium, smoothed, llama).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Cos and sin tables for the given positions [batch, seq], shaped [batch, 1, seq, head_dim].</summary>
    public (Tensor Cos, Tensor Sin) Compute(Tensor positions, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var freqs = positions.to(ScalarType.Float32).unsqueeze(-1) * _invFreq; // [B, T, D/2]
        var emb = cat([freqs, freqs], -1).unsqueeze(1);                        // [B, 1, T, D]
        return (emb.cos().to(dtype).MoveToOuterDisposeScope(), emb.sin().to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Applies the rotation to x [batch, heads, seq, head_dim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long half = x.shape[^1] / 2;
        var x1 = x[.., .., .., ..(int)half];
        var x2 = x[.., .., .., (int)half..];
        var rotated = cat([-x2, x1], -1);
        return (x * cos + rotated * sin).MoveToOuterDisposeScope();
    }

    public void Dispose() => _invFreq.Dispose();
}
