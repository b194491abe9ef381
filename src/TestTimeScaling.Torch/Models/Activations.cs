using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>The feed-forward activations of transformers' <c>ACT2FN</c> that this library implements, by <c>hidden_act</c> name.</summary>
public static class Activations
{
    /// <summary>Names accepted for <c>hidden_act</c>; any other is refused when the config is read.</summary>
    public static IReadOnlyList<string> Supported { get; } =
        ["silu", "swish", "gelu", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "quick_gelu", "relu", "relu2"];

    private const double Sqrt2OverPi = 0.7978845608028654;

    /// <summary>Applies the activation named <paramref name="name"/> (one of <see cref="Supported"/>).</summary>
    internal static Tensor Apply(string name, Tensor x) => name switch
    {
        "silu" or "swish" => nn.functional.silu(x),
        // GELUActivation: the exact erf form.
        "gelu" => nn.functional.gelu(x),
        // NewGELUActivation and F.gelu(approximate="tanh"): 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
        "gelu_new" or "gelu_pytorch_tanh" => TanhGelu(x, Sqrt2OverPiScalar),
        // FastGELUActivation: the same curve with the constant rounded to 0.7978845608.
        "gelu_fast" => TanhGelu(x, FastGeluScalar),
        // QuickGELUActivation: x * sigmoid(1.702 x).
        "quick_gelu" => x * (x * QuickGeluScale).sigmoid(),
        "relu" => nn.functional.relu(x),
        // ReLUSquaredActivation.
        "relu2" => nn.functional.relu(x).square(),
        _ => throw new NotSupportedException($"hidden_act \"{name}\" is not supported."),
    };

    private static Tensor TanhGelu(Tensor x, Scalar c)
    {
        using var scope = NewDisposeScope();
        var inner = x.Plus(x.pow(Three) * CubicCoefficient) * c;
        return (x * Half * inner.tanh().Plus(HeldScalars.One)).MoveToOuterDisposeScope();
    }

    // The constants as scalars held for the process (see HeldScalars: a temporary could be freed mid-call).
    private static readonly Scalar Sqrt2OverPiScalar = Sqrt2OverPi.ToScalar();
    private static readonly Scalar FastGeluScalar = 0.7978845608.ToScalar();
    private static readonly Scalar QuickGeluScale = 1.702.ToScalar();
    private static readonly Scalar Three = 3.ToScalar();
    private static readonly Scalar CubicCoefficient = 0.044715.ToScalar();
    private static readonly Scalar Half = 0.5.ToScalar();
}
