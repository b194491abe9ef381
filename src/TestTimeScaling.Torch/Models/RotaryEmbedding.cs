using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>
/// Rotary position embeddings in Hugging Face's "rotate half" layout (the two halves of the rotated part of
/// each head are the real and imaginary parts), with the frequency schedules of transformers'
/// <c>modeling_rope_utils</c>: default, linear, dynamic (NTK), yarn and llama3. With a
/// <c>partial_rotary_factor</c> below 1 only the first <see cref="ModelConfig.RotaryDim"/> dimensions of each
/// head rotate; the rest pass through.
/// </summary>
internal sealed class RotaryEmbedding : IDisposable
{
    private readonly ModelConfig _config;
    private readonly Tensor _invFreq; // [rotary_dim / 2], float32
    private readonly double _attentionFactor;
    private readonly Scalar _attentionScalar; // held for the table's life (see HeldScalars)

    public RotaryEmbedding(ModelConfig config, Device device)
    {
        _config = config;
        using var scope = NewDisposeScope();
        using var scalars = new ScalarPool();
        var rope = config.RopeScaling;
        Tensor invFreq;
        (invFreq, _attentionFactor) = rope?.RopeType switch
        {
            "linear" => (BaseFrequencies(config.RopeTheta, config.RotaryDim) / scalars[rope.Factor], 1.0),
            "llama3" => (Llama3Scale(BaseFrequencies(config.RopeTheta, config.RotaryDim), rope), 1.0),
            "yarn" => Yarn(config, rope),
            // dynamic: at or below max_position_embeddings the frequencies are the default ones.
            _ => (BaseFrequencies(config.RopeTheta, config.RotaryDim), 1.0),
        };
        _invFreq = invFreq.to(ScalarType.Float32).to(device).MoveToOuterDisposeScope();
        _attentionScalar = _attentionFactor.ToScalar();
    }

    /// <summary>The inverse frequencies [rotary_dim / 2] in float32 (the default schedule when the scaling is dynamic).</summary>
    internal Tensor InverseFrequencies => _invFreq;

    /// <summary>The factor cos and sin are scaled by (YaRN's attention factor; 1 otherwise).</summary>
    internal double AttentionFactor => _attentionFactor;

    /// <summary>1 / theta^(arange(0, dim, 2) / dim) in float32, as transformers computes it.</summary>
    private static Tensor BaseFrequencies(double theta, int dim)
    {
        using var scope = NewDisposeScope();
        using var s = new ScalarPool();
        var exponent = arange(s.Int(0), s.Int(dim), s.Int(2), dtype: ScalarType.Int64).to(ScalarType.Float32) / s.Int(dim);
        return (s[1.0f] / pow(tensor((float)theta), exponent)).MoveToOuterDisposeScope();
    }

    /// <summary>Llama 3 scaling: long wavelengths are divided by the factor, short ones kept, the band between interpolated.</summary>
    private static Tensor Llama3Scale(Tensor invFreq, RopeScaling s)
    {
        using var scope = NewDisposeScope();
        using var c = new ScalarPool();
        double oldContext = s.OriginalMaxPositionEmbeddings;
        double lowFreqWavelen = oldContext / s.LowFreqFactor;
        double highFreqWavelen = oldContext / s.HighFreqFactor;
        var wavelen = c[2 * Math.PI] / invFreq;
        var llama = where(wavelen > c[lowFreqWavelen], invFreq / c[s.Factor], invFreq);
        var smooth = (c[oldContext] / wavelen - c[s.LowFreqFactor]) / c[s.HighFreqFactor - s.LowFreqFactor];
        var smoothed = (smooth.OneMinus() * llama / c[s.Factor]).Plus(smooth * llama);
        var medium = (wavelen >= c[highFreqWavelen]).logical_and(wavelen <= c[lowFreqWavelen]);
        return where(medium, smoothed, llama).to(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>YaRN: interpolated (divided by the factor) below the correction range, extrapolated above it, a linear ramp between; cos and sin scaled by the attention factor.</summary>
    private static (Tensor, double) Yarn(ModelConfig config, RopeScaling s)
    {
        using var scope = NewDisposeScope();
        int dim = config.RotaryDim;
        double theta = config.RopeTheta, factor = s.Factor;
        // Python's `x or default`: an absent or zero value takes the default.
        double original = s.OriginalMaxPositionEmbeddings != 0 ? s.OriginalMaxPositionEmbeddings : config.MaxPositionEmbeddings;
        double betaFast = s.BetaFast is { } bf && bf != 0 ? bf : 32;
        double betaSlow = s.BetaSlow is { } bs && bs != 0 ? bs : 1;
        double attention = YarnAttentionFactor(s);

        double CorrectionDim(double rotations) => dim * Math.Log(original / (rotations * 2 * Math.PI)) / (2 * Math.Log(theta));
        double low = CorrectionDim(betaFast), high = CorrectionDim(betaSlow);
        if (s.Truncate) { low = Math.Floor(low); high = Math.Ceiling(high); }
        low = Math.Max(low, 0);
        high = Math.Min(high, dim - 1);
        if (low == high) high += 0.001; // transformers' guard against a zero-width ramp

        using var c = new ScalarPool();
        var posFreqs = pow(tensor((float)theta), arange(c.Int(0), c.Int(dim), c.Int(2), dtype: ScalarType.Int64).to(ScalarType.Float32) / c.Int(dim));
        var extrapolation = c[1.0f] / posFreqs;
        var interpolation = c[1.0f] / (posFreqs * c[(float)factor]);
        var ramp = ((arange(c.Int(dim / 2), dtype: ScalarType.Float32) - c[low]) / c[high - low]).clamp(c.Int(0), c.Int(1));
        var extrapolationWeight = ramp.OneMinus();
        var invFreq = (interpolation * extrapolationWeight.OneMinus()).Plus(extrapolation * extrapolationWeight);
        return (invFreq.MoveToOuterDisposeScope(), attention);
    }

    /// <summary>YaRN's cos/sin scale: attention_factor, else mscale(factor, mscale) / mscale(factor, mscale_all_dim) when both are set (and nonzero), else mscale(factor, 1).</summary>
    internal static double YarnAttentionFactor(RopeScaling s) => s.AttentionFactor
        ?? (s.Mscale is { } m && m != 0 && s.MscaleAllDim is { } all && all != 0
            ? YarnMscale(s.Factor, m) / YarnMscale(s.Factor, all)
            : YarnMscale(s.Factor, 1));

    private static double YarnMscale(double scale, double mscale) => scale <= 1 ? 1.0 : 0.1 * mscale * Math.Log(scale) + 1.0;

    /// <summary>
    /// Dynamic NTK scaling: beyond max_position_embeddings the base grows to
    /// theta * ((factor * L / max) - (factor - 1))^(dim / (dim - 2)) for a sequence of length L.
    /// </summary>
    private Tensor DynamicFrequencies(long sequenceLength)
    {
        int dim = _config.RotaryDim;
        double max = _config.MaxPositionEmbeddings, factor = _config.RopeScaling!.Factor;
        double theta = _config.RopeTheta * Math.Pow(factor * sequenceLength / max - (factor - 1), dim / (double)(dim - 2));
        using var freqs = BaseFrequencies(theta, dim);
        return freqs.to(_invFreq.device);
    }

    /// <summary>
    /// Cos and sin tables [batch, 1, seq, rotary_dim] for the given positions [batch, seq]. <paramref name="sequenceLength"/>
    /// is 1 + the largest real position of the call; only dynamic scaling reads it.
    /// </summary>
    public (Tensor Cos, Tensor Sin) Compute(Tensor positions, long sequenceLength, ScalarType dtype)
    {
        using var scope = NewDisposeScope();
        var invFreq = _config.RopeScaling?.RopeType == "dynamic" && sequenceLength > _config.MaxPositionEmbeddings
            ? DynamicFrequencies(sequenceLength)
            : _invFreq;
        var freqs = positions.to(ScalarType.Float32).unsqueeze(-1) * invFreq; // [B, T, R/2]
        var emb = cat([freqs, freqs], -1).unsqueeze(1);                        // [B, 1, T, R]
        var cos = emb.cos();
        var sin = emb.sin();
        if (_attentionFactor != 1.0)
        {
            cos = cos * _attentionScalar;
            sin = sin * _attentionScalar;
        }
        return (cos.to(dtype).MoveToOuterDisposeScope(), sin.to(dtype).MoveToOuterDisposeScope());
    }

    /// <summary>Applies the rotation to the first rotary_dim dimensions of x [batch, heads, seq, head_dim].</summary>
    public static Tensor Apply(Tensor x, Tensor cos, Tensor sin)
    {
        using var scope = NewDisposeScope();
        long rotary = cos.shape[^1], width = x.shape[^1];
        var rotated = rotary == width ? x : x[.., .., .., ..(int)rotary];
        long half = rotary / 2;
        var x1 = rotated[.., .., .., ..(int)half];
        var x2 = rotated[.., .., .., (int)half..];
        var result = (rotated * cos).Plus(cat([-x2, x1], -1) * sin);
        if (rotary != width) result = cat([result, x[.., .., .., (int)rotary..]], -1);
        return result.MoveToOuterDisposeScope();
    }

    public void Dispose() => _invFreq.Dispose();
}
