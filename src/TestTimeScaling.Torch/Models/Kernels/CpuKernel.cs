using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>What every managed CPU kernel checks before it touches tensor memory, and how it gets at it.</summary>
internal static class CpuKernel
{
    /// <summary>
    /// A contiguous float32 CPU tensor of at most 2 GiB (spans are int-indexed) that autograd does not track now: the
    /// kernels write results torch cannot differentiate, so training keeps torch's ops.
    /// </summary>
    public static bool Fits(Tensor t) =>
        Enabled && t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous()
        && t.numel() <= int.MaxValue / sizeof(float)
        && !(t.requires_grad && is_grad_enabled());

    /// <summary>
    /// Whether the managed kernels and the fused products run (default true). Off, every layer runs the torch ops it ran
    /// before them, so a benchmark can compare both in one process.
    /// </summary>
    public static bool Enabled { get; set; } = true;

    /// <summary>The tensor's elements (call on the thread that uses them).</summary>
    public static Span<float> Floats(Tensor t) => MemoryMarshal.Cast<byte, float>(t.bytes);
}
