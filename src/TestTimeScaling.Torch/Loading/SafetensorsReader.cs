using Microsoft.Win32.SafeHandles;
using TorchSharp;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Reads the tensors of one safetensors file straight into tensor memory.</summary>
internal static class SafetensorsReader
{
    // Spans are limited to int.MaxValue bytes; larger tensors are read in slices of this size.
    private const long SliceBytes = 1L << 30;

    /// <summary>Loads every tensor of <paramref name="path"/>; see <see cref="Safetensors.LoadFile"/>.</summary>
    public static Dictionary<string, Tensor> Read(string path, ScalarType? dtype, Device? device)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors file not found: '{path}'.", path);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors data is little-endian; big-endian hosts are not supported.");

        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.SequentialScan);
        SafetensorsHeader header = SafetensorsHeader.Read(file, path);

        var result = new Dictionary<string, Tensor>(header.Tensors.Count, StringComparer.Ordinal);
        try
        {
            // The header is sorted by offset, so the file is read front to back.
            foreach (SafetensorsTensorInfo info in header.Tensors)
                result.Add(info.Name, ReadTensor(file, header.DataStart, info, dtype, device, path));
            return result;
        }
        catch
        {
            // A failure part-way must not leak the native memory of the tensors read so far.
            foreach (Tensor tensor in result.Values) tensor.Dispose();
            throw;
        }
    }

    private static Tensor ReadTensor(SafeFileHandle file, long dataStart, SafetensorsTensorInfo info, ScalarType? dtype, Device? device, string path)
    {
        using var scope = NewDisposeScope();
        // Allocate the tensor in its stored dtype and read the file into its memory: no managed copy.
        Tensor stored = empty(info.Shape, info.DType);
        FillFromFile(stored, file, dataStart + info.Begin, info.ByteLength, path, info.Name);

        Tensor result = stored;
        // Only floating-point weights follow the requested dtype, as HF's torch_dtype does; integer and
        // boolean buffers (position ids, masks) keep theirs.
        if (dtype is { } target && stored.is_floating_point() && stored.dtype != target)
            result = device is null ? result.to(target) : result.to(target, device);
        else if (device is not null && device.type != DeviceType.CPU)
            result = result.to(device);
        return result.MoveToOuterDisposeScope();
    }

    /// <summary>Reads <paramref name="byteLength"/> bytes at <paramref name="offset"/> straight into the memory of a contiguous CPU tensor.</summary>
    internal static void FillFromFile(Tensor tensor, SafeFileHandle file, long offset, long byteLength, string path, string name)
    {
        if (byteLength == 0) return;
        if (byteLength <= int.MaxValue)
        {
            SafetensorsHeader.ReadExactly(file, tensor.bytes, offset, path, name);
            return;
        }

        // Over 2 GiB: read through contiguous 1-D slices of the flattened tensor.
        using Tensor flat = tensor.view(-1);
        long elementSize = SafetensorsDType.ElementSize(tensor.dtype);
        long sliceElements = SliceBytes / elementSize;
        long count = flat.shape[0];
        for (long start = 0; start < count; start += sliceElements)
        {
            using Tensor slice = flat.narrow(0, start, Math.Min(sliceElements, count - start));
            SafetensorsHeader.ReadExactly(file, slice.bytes, offset + start * elementSize, path, name);
        }
    }
}
