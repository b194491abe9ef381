using System.Numerics.Tensors;

namespace TestTimeScaling.Torch;

/// <summary>
/// RMSNorm over rows in memory, as <see cref="RmsNormKernel"/> computes it: weight · (x · 1/sqrt(mean(x²) + eps)) in
/// float32.
/// </summary>
internal static unsafe class ManagedRmsNorm
{
    /// <summary>y [rows, size] = the norm of x [rows, size]; <paramref name="x"/> and <paramref name="y"/> may be the same rows (the mean is taken before any write).</summary>
    public static void Apply(float* x, float* weight, float* y, int rows, int size, float eps)
    {
        var w = new ReadOnlySpan<float>(weight, size);
        for (int r = 0; r < rows; r++)
        {
            var row = new ReadOnlySpan<float>(x + (long)r * size, size);
            var output = new Span<float>(y + (long)r * size, size);
            float variance = TensorPrimitives.SumOfSquares(row) / size;
            float inverse = 1f / MathF.Sqrt(variance + eps);
            TensorPrimitives.Multiply(row, inverse, output);
            TensorPrimitives.Multiply(w, output, output);
        }
    }
}
