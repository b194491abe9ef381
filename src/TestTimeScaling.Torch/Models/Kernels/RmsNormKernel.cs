using System.Numerics.Tensors;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TestTimeScaling.Torch;

/// <summary>
/// RMSNorm in one pass per row on the CPU: weight * (x * rsqrt(mean(x²) + eps)), in float32 as Hugging Face computes
/// it, instead of the seven torch ops (cast, pow, mean, add, rsqrt, two products) whose fixed cost dominates a
/// batch-1 decode step. The products round as torch's do; only the sum of squares is accumulated in another order.
/// </summary>
internal static class RmsNormKernel
{
    /// <summary>Whether <see cref="Apply"/> handles x [.., n] with this weight [n].</summary>
    public static bool Applies(Tensor x, Tensor weight) =>
        CpuKernel.Fits(x) && CpuKernel.Fits(weight) && weight.dim() == 1 && x.dim() >= 1 && x.shape[^1] == weight.shape[0];

    /// <summary>The normalized rows, a new tensor shaped like x.</summary>
    public static Tensor Apply(Tensor x, Tensor weight, double eps)
    {
        var y = empty(x.shape, ScalarType.Float32, x.device);
        int n = (int)weight.shape[0];
        if (n == 0) return y;
        ReadOnlySpan<float> xs = CpuKernel.Floats(x), w = CpuKernel.Floats(weight);
        Span<float> ys = CpuKernel.Floats(y);
        float epsilon = (float)eps;
        for (int start = 0; start < xs.Length; start += n)
        {
            var row = xs.Slice(start, n);
            var output = ys.Slice(start, n);
            float variance = TensorPrimitives.SumOfSquares(row) / n;
            float inverse = 1f / MathF.Sqrt(variance + epsilon);
            TensorPrimitives.Multiply(row, inverse, output);
            TensorPrimitives.Multiply(w, output, output);
        }
        return y;
    }
}
