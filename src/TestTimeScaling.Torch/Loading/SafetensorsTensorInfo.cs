using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>One tensor's entry in a safetensors header: where its bytes lie in the data area and how to read them.</summary>
/// <param name="Name">The tensor name.</param>
/// <param name="DType">The stored scalar type.</param>
/// <param name="Shape">The shape (empty for a scalar).</param>
/// <param name="Begin">Start of its bytes, relative to the data area.</param>
/// <param name="End">End (exclusive) of its bytes, relative to the data area.</param>
internal sealed record SafetensorsTensorInfo(string Name, ScalarType DType, long[] Shape, long Begin, long End)
{
    /// <summary>The number of bytes the tensor occupies.</summary>
    public long ByteLength => End - Begin;
}
