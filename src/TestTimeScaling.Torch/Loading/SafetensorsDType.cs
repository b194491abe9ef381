using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>The safetensors dtype codes ("F32", "BF16", ...) and the TorchSharp scalar types they map to.</summary>
internal static class SafetensorsDType
{
    private static readonly Dictionary<string, ScalarType> CodeToType = new(StringComparer.Ordinal)
    {
        ["F64"] = ScalarType.Float64,
        ["F32"] = ScalarType.Float32,
        ["F16"] = ScalarType.Float16,
        ["BF16"] = ScalarType.BFloat16,
        ["I64"] = ScalarType.Int64,
        ["I32"] = ScalarType.Int32,
        ["I16"] = ScalarType.Int16,
        ["I8"] = ScalarType.Int8,
        ["U8"] = ScalarType.Byte,
        ["BOOL"] = ScalarType.Bool,
    };

    // Valid in the safetensors format, but TorchSharp 0.107 has no scalar type for them. Telling these apart
    // from garbage lets the error say "not supported" rather than "corrupt".
    private static readonly HashSet<string> KnownUnsupported = new(StringComparer.Ordinal)
    {
        "U16", "U32", "U64", "F8_E4M3", "F8_E5M2", "F8_E8M0", "F6_E2M3", "F6_E3M2", "F4", "C64",
    };

    /// <summary>The scalar type for a code, if TorchSharp has one.</summary>
    public static bool TryGetScalarType(string code, out ScalarType type) => CodeToType.TryGetValue(code, out type);

    /// <summary>Whether the code is a real safetensors dtype that this library cannot represent.</summary>
    public static bool IsKnownButUnsupported(string code) => KnownUnsupported.Contains(code);

    /// <summary>The code for a scalar type, or null when safetensors cannot store it (complex, quantized).</summary>
    public static string? TryGetCode(ScalarType type) => type switch
    {
        ScalarType.Float64 => "F64",
        ScalarType.Float32 => "F32",
        ScalarType.Float16 => "F16",
        ScalarType.BFloat16 => "BF16",
        ScalarType.Int64 => "I64",
        ScalarType.Int32 => "I32",
        ScalarType.Int16 => "I16",
        ScalarType.Int8 => "I8",
        ScalarType.Byte => "U8",
        ScalarType.Bool => "BOOL",
        _ => null,
    };

    /// <summary>Bytes per element of a supported scalar type.</summary>
    public static int ElementSize(ScalarType type) => type switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        ScalarType.Int8 or ScalarType.Byte or ScalarType.Bool => 1,
        _ => throw new NotSupportedException($"Scalar type {type} has no safetensors dtype."),
    };
}
