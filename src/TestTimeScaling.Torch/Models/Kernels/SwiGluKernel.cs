using System.Numerics.Tensors;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TestTimeScaling.Torch;

/// <summary>
/// silu(gate) * up over the fused gate/up product [.., 2 * intermediate] in one pass, instead of a split, the
/// activation and the product as three torch ops. silu(g) = g · sigmoid(g), vectorized; torch computes
/// g / (1 + e^-g), so the two may differ in the last bit.
/// </summary>
internal static class SwiGluKernel
{
    /// <summary>Whether <see cref="Apply"/> handles this fused product (gate columns first, then up).</summary>
    public static bool Applies(Tensor gateUp) => CpuKernel.Fits(gateUp) && gateUp.dim() >= 1 && gateUp.shape[^1] % 2 == 0;

    /// <summary>silu(gate) * up: a new tensor [.., intermediate].</summary>
    public static Tensor Apply(Tensor gateUp)
    {
        int width = (int)gateUp.shape[^1], intermediate = width / 2;
        long[] shape = [.. gateUp.shape[..^1], intermediate];
        var y = empty(shape, ScalarType.Float32, gateUp.device);
        ReadOnlySpan<float> x = CpuKernel.Floats(gateUp);
        Span<float> o = CpuKernel.Floats(y);
        int rows = intermediate == 0 ? 0 : x.Length / width;
        for (int r = 0; r < rows; r++)
        {
            var gate = x.Slice(r * width, intermediate);
            var up = x.Slice(r * width + intermediate, intermediate);
            var output = o.Slice(r * intermediate, intermediate);
            TensorPrimitives.Sigmoid(gate, output);
            TensorPrimitives.Multiply(output, gate, output);
            TensorPrimitives.Multiply(output, up, output);
        }
        return y;
    }
}
