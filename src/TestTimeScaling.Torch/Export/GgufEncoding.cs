namespace TestTimeScaling.Torch;

/// <summary>Encodes fp32 values into the byte layouts of the ggml tensor types the exporter writes.</summary>
internal static class GgufEncoding
{
    /// <summary>Weights per Q8_0 block (ggml's QK8_0).</summary>
    public const int Q8Block = TestTimeScaling.Torch.Q8Block.Size;

    /// <summary>Bytes per Q8_0 block: a half-precision scale and 32 signed bytes.</summary>
    public const int Q8BlockBytes = 2 + Q8Block;

    public static long ByteCount(GgmlType type, long elements) => type switch
    {
        GgmlType.F32 => elements * 4,
        GgmlType.F16 or GgmlType.BF16 => elements * 2,
        GgmlType.Q8_0 => elements / Q8Block * Q8BlockBytes,
        _ => throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown ggml type."),
    };

    public static void Write(BinaryWriter w, GgmlType type, ReadOnlySpan<float> values)
    {
        switch (type)
        {
            case GgmlType.F32:
                foreach (float v in values) w.Write(v);
                break;
            case GgmlType.F16:
                foreach (float v in values) w.Write(BitConverter.HalfToUInt16Bits((Half)v));
                break;
            case GgmlType.BF16:
                foreach (float v in values) w.Write(ToBFloat16(v));
                break;
            case GgmlType.Q8_0:
                WriteQ8(w, values);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(type), type, "Unknown ggml type.");
        }
    }

    /// <summary>bfloat16 by round-to-nearest-even on the upper 16 bits (NaN stays a quiet NaN).</summary>
    public static ushort ToBFloat16(float value)
    {
        uint bits = BitConverter.SingleToUInt32Bits(value);
        if (float.IsNaN(value)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }

    /// <summary>Q8_0 as ggml's reference quantizer does it (<see cref="TestTimeScaling.Torch.Q8Block.Quantize"/>): an fp16 scale, then 32 signed bytes.</summary>
    private static void WriteQ8(BinaryWriter w, ReadOnlySpan<float> values)
    {
        if (values.Length % Q8Block != 0)
            throw new ArgumentException($"Q8_0 needs a multiple of {Q8Block} values, got {values.Length}.", nameof(values));
        Span<byte> block = stackalloc byte[Q8BlockBytes];
        var quants = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, sbyte>(block[2..]);
        for (int start = 0; start < values.Length; start += Q8Block)
        {
            var d = TestTimeScaling.Torch.Q8Block.Quantize(values.Slice(start, Q8Block), quants);
            BitConverter.TryWriteBytes(block, BitConverter.HalfToUInt16Bits(d));
            w.Write(block);
        }
    }
}
