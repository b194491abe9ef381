using System.Numerics.Tensors;
using TestTimeScaling.Torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>The memory-bandwidth roofline: one fp32 read of a buffer, split across threads like the decode kernels.</summary>
internal static class Roofline
{
    /// <summary>Sums <paramref name="values"/> with each of <paramref name="threads"/> threads reading one contiguous part.</summary>
    public static float ParallelSum(float[] values, int threads)
    {
        var partial = new float[threads];
        KernelThreads.Shared.Run(threads, part =>
        {
            int start = (int)((long)values.Length * part / threads);
            int end = (int)((long)values.Length * (part + 1) / threads);
            partial[part] = TensorPrimitives.Sum<float>(values.AsSpan(start, end - start));
        });
        return partial.Sum();
    }
}
