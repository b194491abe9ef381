using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Root-mean-square layer norm, computed in float32 as Hugging Face does, then cast back.</summary>
internal sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
    private readonly Parameter weight;
    private readonly double _eps;
    private readonly Scalar _epsScalar; // held for the module's life (see HeldScalars)
    private static readonly Scalar Two = 2.ToScalar();

    public RmsNorm(int size, double eps) : base(nameof(RmsNorm))
    {
        weight = nn.Parameter(ones(size));
        _eps = eps;
        _epsScalar = eps.ToScalar();
        RegisterComponents();
    }

    /// <summary>The scale [size] (owned by this module; <c>Module.to</c> may replace it, so read it per use).</summary>
    internal Tensor Weight => weight;

    /// <summary>The epsilon added to the mean square.</summary>
    internal double Epsilon => _eps;

    public override Tensor forward(Tensor x)
    {
        if (RmsNormKernel.Applies(x, weight)) return RmsNormKernel.Apply(x, weight, _eps);
        using var scope = NewDisposeScope();
        var x32 = x.to(ScalarType.Float32);
        var variance = x32.pow(Two).mean([-1L], keepdim: true);
        var normed = x32 * rsqrt(variance.Plus(_epsScalar));
        return (weight * normed.to(x.dtype)).MoveToOuterDisposeScope();
    }
}
