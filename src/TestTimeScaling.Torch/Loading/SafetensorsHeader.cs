using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Unicode;
using Microsoft.Win32.SafeHandles;

namespace TestTimeScaling.Torch;

/// <summary>
/// The parsed and validated header of a safetensors file: an 8-byte little-endian length, then that many
/// bytes of JSON mapping tensor names to dtype, shape and data offsets (plus an optional string-to-string
/// <c>__metadata__</c>), then the data area.
/// </summary>
internal sealed class SafetensorsHeader
{
    /// <summary>The key that holds free-form metadata instead of a tensor.</summary>
    public const string MetadataKey = "__metadata__";

    // The reference implementation refuses headers over 100 MB; so do we, before allocating anything that large.
    private const long MaxHeaderBytes = 100_000_000;

    private SafetensorsHeader(IReadOnlyList<SafetensorsTensorInfo> tensors, IReadOnlyDictionary<string, string> metadata, long dataStart)
    {
        Tensors = tensors;
        Metadata = metadata;
        DataStart = dataStart;
    }

    /// <summary>The tensors, in the order of their data offsets.</summary>
    public IReadOnlyList<SafetensorsTensorInfo> Tensors { get; }

    /// <summary>The <c>__metadata__</c> entries (empty when absent).</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>The file offset where the data area begins.</summary>
    public long DataStart { get; }

    /// <summary>Opens <paramref name="path"/> and reads and validates its header, without reading any tensor data.</summary>
    /// <exception cref="FileNotFoundException">The file does not exist.</exception>
    /// <exception cref="InvalidDataException">Any structural problem; the message names the file and the tensor or field.</exception>
    /// <exception cref="NotSupportedException">A valid safetensors dtype that TorchSharp cannot represent.</exception>
    public static SafetensorsHeader ReadFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors file not found: '{path}'.", path);
        using SafeFileHandle file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        return Read(file, path);
    }

    /// <summary>Reads and validates the header of an open file.</summary>
    /// <exception cref="InvalidDataException">Any structural problem; the message names <paramref name="path"/> and the tensor.</exception>
    /// <exception cref="NotSupportedException">A valid safetensors dtype that TorchSharp cannot represent.</exception>
    public static SafetensorsHeader Read(SafeFileHandle file, string path)
    {
        long fileLength = RandomAccess.GetLength(file);
        if (fileLength < 8)
            throw new InvalidDataException($"'{path}' is {fileLength} bytes long: too short for the 8-byte safetensors header length.");

        Span<byte> lengthBytes = stackalloc byte[8];
        ReadExactly(file, lengthBytes, 0, path);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(lengthBytes);
        if (headerLength > (ulong)(fileLength - 8))
            throw new InvalidDataException(
                $"'{path}' declares a {headerLength}-byte header, past the end of the {fileLength}-byte file (truncated or not a safetensors file).");
        if (headerLength > MaxHeaderBytes)
            throw new InvalidDataException($"'{path}' declares a {headerLength}-byte header; the limit is {MaxHeaderBytes} bytes.");
        if (headerLength < 2)
            throw new InvalidDataException($"'{path}' declares a {headerLength}-byte header, too short to hold a JSON object.");

        var json = new byte[headerLength];
        ReadExactly(file, json, 8, path);
        long dataStart = 8 + (long)headerLength;
        return Parse(json, fileLength - dataStart, dataStart, path);
    }

    /// <summary>Parses header JSON and checks it against a data area of <paramref name="dataLength"/> bytes.</summary>
    internal static SafetensorsHeader Parse(byte[] json, long dataLength, long dataStart, string path)
    {
        // JsonDocument checks UTF-8 only when a string is read (and then throws InvalidOperationException), so check it first.
        if (!Utf8.IsValid(json))
            throw new InvalidDataException($"'{path}' has an invalid safetensors header: it is not valid UTF-8.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            // Also raised for nesting deeper than 64 levels.
            throw new InvalidDataException($"'{path}' has an invalid safetensors header: not valid JSON ({ex.Message}).", ex);
        }

        using (document)
        {
            try
            {
                return Parse(document.RootElement, dataLength, dataStart, path);
            }
            catch (InvalidOperationException ex)
            {
                // An escaped lone surrogate ("\ud800") in a name or string cannot become a .NET string.
                throw new InvalidDataException($"'{path}' has an invalid safetensors header: {ex.Message}", ex);
            }
        }
    }

    private static SafetensorsHeader Parse(JsonElement root, long dataLength, long dataStart, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}' has an invalid safetensors header: the JSON must be an object.");

        var tensors = new List<SafetensorsTensorInfo>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty property in root.EnumerateObject())
        {
            // JsonDocument keeps duplicate keys; two entries for one name would make the file ambiguous.
            if (!seen.Add(property.Name))
                throw new InvalidDataException($"'{path}' lists tensor '{property.Name}' twice in its header.");
            if (property.Name.Length == 0)
                throw new InvalidDataException($"'{path}' has a tensor with an empty name in its header.");
            if (property.Name == MetadataKey)
                ReadMetadata(property.Value, metadata, path);
            else
                tensors.Add(ReadTensor(property.Name, property.Value, dataLength, path));
        }

        tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
        CheckCoverage(tensors, dataLength, path);
        return new SafetensorsHeader(tensors, metadata, dataStart);
    }

    private static void ReadMetadata(JsonElement value, Dictionary<string, string> metadata, string path)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}': \"{MetadataKey}\" must be an object of strings, not {Describe(value)}.");
        foreach (JsonProperty entry in value.EnumerateObject())
        {
            if (metadata.ContainsKey(entry.Name))
                throw new InvalidDataException($"'{path}': \"{MetadataKey}\" lists \"{entry.Name}\" twice.");
            if (entry.Value.ValueKind != JsonValueKind.String)
                throw new InvalidDataException($"'{path}': \"{MetadataKey}\" entry \"{entry.Name}\" must be a string.");
            metadata[entry.Name] = entry.Value.GetString()!;
        }
    }

    private static SafetensorsTensorInfo ReadTensor(string name, JsonElement value, long dataLength, string path)
    {
        InvalidDataException Bad(string what) => new($"'{path}': tensor '{name}' {what}.");

        if (value.ValueKind != JsonValueKind.Object) throw Bad($"must be described by a JSON object, not {Describe(value)}");
        var fields = new HashSet<string>(StringComparer.Ordinal);
        foreach (JsonProperty field in value.EnumerateObject())
        {
            // JsonDocument keeps duplicates and TryGetProperty would silently pick one of them.
            if (!fields.Add(field.Name)) throw Bad($"lists \"{field.Name}\" twice");
        }
        if (!value.TryGetProperty("dtype", out JsonElement dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad("has no string \"dtype\"");
        string code = dtypeElement.GetString()!;
        if (!SafetensorsDType.TryGetScalarType(code, out var dtype))
        {
            if (SafetensorsDType.IsKnownButUnsupported(code))
                throw new NotSupportedException($"'{path}': tensor '{name}' has dtype {code}, which TorchSharp cannot represent.");
            throw Bad($"has unknown dtype \"{code}\"");
        }

        if (!value.TryGetProperty("shape", out JsonElement shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad("has no \"shape\" array");
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (JsonElement dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long size) || size < 0)
                throw Bad($"has an invalid shape entry {dim.GetRawText()} (dimensions are non-negative integers)");
            shape[i++] = size;
        }

        if (!value.TryGetProperty("data_offsets", out JsonElement offsets) || offsets.ValueKind != JsonValueKind.Array || offsets.GetArrayLength() != 2)
            throw Bad("has no \"data_offsets\" pair");
        if (offsets[0].ValueKind != JsonValueKind.Number || offsets[1].ValueKind != JsonValueKind.Number
            || !offsets[0].TryGetInt64(out long begin) || !offsets[1].TryGetInt64(out long end) || begin < 0 || end < begin)
            throw Bad($"has invalid data_offsets {offsets.GetRawText()} (need 0 <= begin <= end)");
        if (end > dataLength)
            throw Bad($"has data_offsets [{begin}, {end}) past the end of the {dataLength}-byte data area: the file is truncated or the header is wrong");

        long expected;
        try
        {
            expected = SafetensorsDType.ElementSize(dtype);
            foreach (long size in shape) expected = checked(expected * size);
        }
        catch (OverflowException)
        {
            throw Bad($"has a shape [{string.Join(", ", shape)}] too large to address");
        }
        if (expected != end - begin)
            throw Bad($"has data_offsets [{begin}, {end}) spanning {end - begin} bytes, but shape [{string.Join(", ", shape)}] of {code} needs {expected}");

        return new SafetensorsTensorInfo(name, dtype, shape, begin, end);
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Null => "null",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "an object",
    };

    // Like the reference implementation, require the tensors to tile the data area exactly: no overlaps
    // (two tensors sharing bytes), no holes and no trailing bytes (signs of a damaged or hand-edited file).
    private static void CheckCoverage(List<SafetensorsTensorInfo> sorted, long dataLength, string path)
    {
        long position = 0;
        foreach (SafetensorsTensorInfo tensor in sorted)
        {
            if (tensor.Begin < position)
                throw new InvalidDataException($"'{path}': tensor '{tensor.Name}' overlaps the bytes of another tensor (data_offsets [{tensor.Begin}, {tensor.End})).");
            if (tensor.Begin > position)
                throw new InvalidDataException($"'{path}': tensor '{tensor.Name}' starts at {tensor.Begin}, leaving a hole after byte {position} of the data area.");
            position = tensor.End;
        }
        if (position != dataLength)
            throw new InvalidDataException($"'{path}': the tensors cover {position} bytes but the data area holds {dataLength}: trailing bytes not described by the header.");
    }

    /// <summary>Fills <paramref name="buffer"/> from <paramref name="offset"/>, failing clearly if the file ends first.</summary>
    internal static void ReadExactly(SafeFileHandle file, Span<byte> buffer, long offset, string path, string? tensorName = null)
    {
        while (!buffer.IsEmpty)
        {
            int read = RandomAccess.Read(file, buffer, offset);
            if (read == 0)
            {
                string what = tensorName is null ? "" : $" while reading tensor '{tensorName}'";
                throw new InvalidDataException($"'{path}' ended unexpectedly at byte {offset}{what}: the file is truncated.");
            }
            buffer = buffer[read..];
            offset += read;
        }
    }
}
