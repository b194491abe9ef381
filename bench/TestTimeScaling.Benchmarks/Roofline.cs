using System.Numerics.Tensors;
using System.Runtime.Intrinsics;
using TestTimeScaling.Torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>The memory-bandwidth roofline: one fp32 read of a buffer, split across threads like the decode kernels.</summary>
internal static unsafe class Roofline
{
    /// <summary>Sums <paramref name="values"/> with each of <paramref name="threads"/> threads reading one contiguous part.</summary>
    public static float ParallelSum(float[] values, int threads)
    {
        fixed (float* p = values) return ParallelSum(p, values.Length, threads);
    }

    /// <summary>
    /// Sums <paramref name="length"/> floats at <paramref name="values"/>, each of <paramref name="threads"/> threads
    /// reading one contiguous part, through the same pool handoff as <see cref="Gemv.Multiply(float*, float*, float*, float*, int, int, int, int)"/>
    /// (no allocation), so kernel and roofline pay the same per-call cost.
    /// </summary>
    public static float ParallelSum(float* values, long length, int threads)
    {
        var job = new SumJob { Values = values, Length = length, Threads = threads };
        float* partial = stackalloc float[threads];
        job.Partial = partial;
        KernelThreads.Shared.Run(threads, &SumPart, (nint)(&job));
        float total = 0;
        for (int t = 0; t < threads; t++) total += partial[t];
        return total;
    }

    /// <summary>
    /// Like <see cref="ParallelSum(float*, long, int)"/> with a sum that cannot be the limit: 512-bit loads (256-bit
    /// without AVX-512) into four independent accumulators, so only the memory system bounds it.
    /// </summary>
    public static float ParallelStream(float* values, long length, int threads)
    {
        var job = new SumJob { Values = values, Length = length, Threads = threads };
        float* partial = stackalloc float[threads];
        job.Partial = partial;
        KernelThreads.Shared.Run(threads, &StreamPart, (nint)(&job));
        float total = 0;
        for (int t = 0; t < threads; t++) total += partial[t];
        return total;
    }

    private static void StreamPart(nint state, int part)
    {
        var job = (SumJob*)state;
        long start = job->Length * part / job->Threads, end = job->Length * (part + 1) / job->Threads;
        float* p = job->Values + start;
        long n = end - start, i = 0;
        float total = 0;
        if (Vector512.IsHardwareAccelerated)
        {
            Vector512<float> a = default, b = default, c = default, d = default;
            for (; i + 64 <= n; i += 64)
            {
                a += Vector512.Load(p + i);
                b += Vector512.Load(p + i + 16);
                c += Vector512.Load(p + i + 32);
                d += Vector512.Load(p + i + 48);
            }
            total = Vector512.Sum(a + b + (c + d));
        }
        else
        {
            Vector256<float> a = default, b = default, c = default, d = default;
            for (; i + 32 <= n; i += 32)
            {
                a += Vector256.Load(p + i);
                b += Vector256.Load(p + i + 8);
                c += Vector256.Load(p + i + 16);
                d += Vector256.Load(p + i + 24);
            }
            total = Vector256.Sum(a + b + (c + d));
        }
        for (; i < n; i++) total += p[i];
        job->Partial[part] = total;
    }

    private static void SumPart(nint state, int part)
    {
        var job = (SumJob*)state;
        long start = job->Length * part / job->Threads, end = job->Length * (part + 1) / job->Threads;
        job->Partial[part] = TensorPrimitives.Sum<float>(new ReadOnlySpan<float>(job->Values + start, checked((int)(end - start))));
    }

    private struct SumJob
    {
        public float* Values;
        public float* Partial;
        public long Length;
        public int Threads;
    }
}
