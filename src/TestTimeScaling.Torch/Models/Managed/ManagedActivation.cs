using System.Numerics.Tensors;

namespace TestTimeScaling.Torch;

/// <summary>
/// act(gate) · up over the fused gate/up product of each row, in managed code, for every <c>hidden_act</c> that
/// <see cref="Activations"/> accepts, with the same formulas (float32, in the same order where torch's is known).
/// </summary>
internal sealed unsafe class ManagedActivation
{
    private const float Sqrt2OverPi = 0.7978845608028654f;
    private const float FastGeluConstant = 0.7978845608f;
    private const float CubicCoefficient = 0.044715f;
    private const float QuickGeluScale = 1.702f;
    private const double InverseSqrt2 = 0.7071067811865476;

    private readonly string _name;

    /// <summary>The activation named <paramref name="name"/> (one of <see cref="Activations.Supported"/>).</summary>
    /// <exception cref="NotSupportedException">The name is not one of them.</exception>
    public ManagedActivation(string name)
    {
        if (!Activations.Supported.Contains(name)) throw new NotSupportedException($"hidden_act \"{name}\" is not supported.");
        _name = name;
    }

    /// <summary>
    /// output [rows, intermediate] = act(gate) · up, where each row of <paramref name="gateUp"/> holds
    /// [gate (intermediate), up (intermediate)].
    /// </summary>
    public void Apply(float* gateUp, float* output, int rows, int intermediate)
    {
        for (int r = 0; r < rows; r++)
        {
            var gate = new ReadOnlySpan<float>(gateUp + 2L * r * intermediate, intermediate);
            var up = new ReadOnlySpan<float>(gateUp + (2L * r + 1) * intermediate, intermediate);
            var y = new Span<float>(output + (long)r * intermediate, intermediate);
            Activate(gate, y);
            TensorPrimitives.Multiply(y, up, y);
        }
    }

    private void Activate(ReadOnlySpan<float> x, Span<float> y)
    {
        switch (_name)
        {
            case "silu" or "swish":
                // As SwiGluKernel: sigmoid(g) · g.
                TensorPrimitives.Sigmoid(x, y);
                TensorPrimitives.Multiply(y, x, y);
                break;
            case "gelu":
                // GELUActivation, the exact erf form: x · 0.5 · (1 + erf(x / sqrt 2)).
                for (int i = 0; i < x.Length; i++)
                    y[i] = x[i] * 0.5f * (1f + (float)ErrorFunction.Erf(x[i] * InverseSqrt2));
                break;
            case "gelu_new" or "gelu_pytorch_tanh":
                TanhGelu(x, y, Sqrt2OverPi);
                break;
            case "gelu_fast":
                TanhGelu(x, y, FastGeluConstant);
                break;
            case "quick_gelu":
                // x · sigmoid(1.702 x).
                TensorPrimitives.Multiply(x, QuickGeluScale, y);
                TensorPrimitives.Sigmoid(y, y);
                TensorPrimitives.Multiply(y, x, y);
                break;
            case "relu":
                TensorPrimitives.Max(x, 0f, y);
                break;
            case "relu2":
                TensorPrimitives.Max(x, 0f, y);
                TensorPrimitives.Multiply(y, y, y);
                break;
            default:
                throw new NotSupportedException($"hidden_act \"{_name}\" is not supported.");
        }
    }

    // As Activations.TanhGelu: inner = (x + x³ · 0.044715) · c; x · 0.5 · (tanh(inner) + 1).
    private static void TanhGelu(ReadOnlySpan<float> x, Span<float> y, float c)
    {
        for (int i = 0; i < x.Length; i++)
        {
            float v = x[i];
            float inner = (v + v * v * v * CubicCoefficient) * c;
            y[i] = v * 0.5f * (MathF.Tanh(inner) + 1f);
        }
    }
}
