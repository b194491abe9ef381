using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Where a tensor's elements live, for managed code that reads and writes them by address.</summary>
internal static unsafe class TensorMemory
{
    /// <summary>Whether <paramref name="t"/> is a contiguous float32 CPU tensor whose bytes a span can cover (at most 2 GiB).</summary>
    public static bool IsFloat32Cpu(Tensor t) =>
        t.device_type == DeviceType.CPU && t.dtype == ScalarType.Float32 && t.is_contiguous()
        && t.numel() <= int.MaxValue / sizeof(float);

    /// <summary>
    /// The address of the first element of a contiguous CPU tensor (null for an empty one). Valid while the tensor
    /// lives and keeps its storage; taking it is a few native calls, so callers that read the same weights every step
    /// keep it (see <see cref="ManagedWeights"/>).
    /// </summary>
    public static float* Floats(Tensor t)
    {
        var bytes = t.bytes;
        return bytes.IsEmpty ? null : (float*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(bytes));
    }

    /// <summary>The address of the first element of a contiguous int64 CPU tensor.</summary>
    public static long* Longs(Tensor t)
    {
        var bytes = t.bytes;
        return bytes.IsEmpty ? null : (long*)Unsafe.AsPointer(ref MemoryMarshal.GetReference(bytes));
    }
}
