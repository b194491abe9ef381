using System.Buffers.Binary;
using System.Text;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary>Builds safetensors files byte by byte, to test the reader against known layouts and corruptions.</summary>
internal static class SafetensorsFiles
{
    /// <summary>Writes the 8-byte header length, the header JSON and the data, exactly as given.</summary>
    public static void WriteRaw(string path, string headerJson, byte[] data, ulong? declaredHeaderLength = null)
    {
        byte[] header = Encoding.UTF8.GetBytes(headerJson);
        using var stream = System.IO.File.Create(path);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, declaredHeaderLength ?? (ulong)header.Length);
        stream.Write(length);
        stream.Write(header);
        stream.Write(data);
    }

    /// <summary>Little-endian bytes of the values, concatenated.</summary>
    public static byte[] Floats(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    /// <summary>Little-endian bytes of the values, concatenated.</summary>
    public static byte[] Longs(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++) BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }

    /// <summary>Little-endian bytes of raw 16-bit patterns (bf16 or fp16 bits).</summary>
    public static byte[] Halves(params ushort[] bits)
    {
        var bytes = new byte[bits.Length * 2];
        for (int i = 0; i < bits.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), bits[i]);
        return bytes;
    }

    /// <summary>The JSON header of a file written by the library.</summary>
    public static string ReadHeader(string path)
    {
        byte[] bytes = System.IO.File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return Encoding.UTF8.GetString(bytes, 8, length);
    }
}
