using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;
using static TorchSharp.torch;

namespace TestTimeScaling.Torch;

/// <summary>Writes tensors as one safetensors file, byte-for-byte deterministic for the same input.</summary>
internal static class SafetensorsWriter
{
    private const long SliceBytes = 1L << 30;

    /// <summary>Writes <paramref name="tensors"/> to <paramref name="path"/>; see <see cref="Safetensors.SaveFile"/>.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, Tensor> tensors, IReadOnlyDictionary<string, string>? metadata)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors data is little-endian; big-endian hosts are not supported.");

        List<Entry> entries = Layout(tensors);
        byte[] header = BuildHeader(entries, metadata);

        string? directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (directory is not null) Directory.CreateDirectory(directory);

        // Write beside the target and rename, so a failure never leaves a half-written file under the real name.
        string temporary = path + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (Entry entry in entries) WriteData(stream, entry.Tensor);
            }
            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>The bytes <paramref name="tensor"/> occupies in a safetensors file.</summary>
    public static long ByteLength(string name, Tensor tensor)
    {
        ScalarType dtype = CheckTensor(name, tensor);
        return checked(tensor.numel() * SafetensorsDType.ElementSize(dtype));
    }

    private sealed record Entry(string Name, Tensor Tensor, string Code, long[] Shape, long Begin, long End);

    // Order as the reference implementation does: larger elements first, then by name, so every tensor
    // starts at an offset aligned to its element size (useful to memory-mapping readers), and the file
    // depends only on the tensors, never on dictionary order.
    private static List<Entry> Layout(IReadOnlyDictionary<string, Tensor> tensors)
    {
        var ordered = tensors
            .Select(pair => (pair.Key, pair.Value, Size: SafetensorsDType.ElementSize(CheckTensor(pair.Key, pair.Value))))
            .OrderByDescending(t => t.Size)
            .ThenBy(t => t.Key, StringComparer.Ordinal)
            .ToList();

        var entries = new List<Entry>(ordered.Count);
        long offset = 0;
        foreach (var (name, tensor, _) in ordered)
        {
            long length = ByteLength(name, tensor);
            entries.Add(new Entry(name, tensor, SafetensorsDType.TryGetCode(tensor.dtype)!, tensor.shape, offset, offset + length));
            offset += length;
        }
        return entries;
    }

    private static ScalarType CheckTensor(string name, Tensor tensor)
    {
        if (string.IsNullOrEmpty(name)) throw new ArgumentException("Tensor names must not be empty.", "tensors");
        if (name == SafetensorsHeader.MetadataKey)
            throw new ArgumentException($"'{SafetensorsHeader.MetadataKey}' is reserved for metadata and cannot name a tensor.", "tensors");
        if (tensor is null) throw new ArgumentException($"Tensor '{name}' is null.", "tensors");
        if (tensor.IsInvalid) throw new ArgumentException($"Tensor '{name}' has been disposed.", "tensors");
        if (SafetensorsDType.TryGetCode(tensor.dtype) is null)
            throw new ArgumentException($"Tensor '{name}' has dtype {tensor.dtype}, which safetensors cannot store.", "tensors");
        return tensor.dtype;
    }

    private static byte[] BuildHeader(List<Entry> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        // Relaxed escaping keeps names such as "a+b" readable; the output is still valid JSON for every reader.
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            json.WriteStartObject(SafetensorsHeader.MetadataKey);
            // "format": "pt" is what transformers checks before trusting a file as PyTorch weights.
            var allMetadata = new SortedDictionary<string, string>(StringComparer.Ordinal) { ["format"] = "pt" };
            if (metadata is not null)
                foreach (var (key, value) in metadata)
                    allMetadata[key] = value ?? throw new ArgumentException($"Metadata value for '{key}' is null.", nameof(metadata));
            foreach (var (key, value) in allMetadata) json.WriteString(key, value);
            json.WriteEndObject();

            foreach (Entry entry in entries)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.Code);
                json.WriteStartArray("shape");
                foreach (long size in entry.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(entry.Begin);
                json.WriteNumberValue(entry.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }

        // Pad with spaces to a multiple of 8 so the data area starts aligned, as the reference writer does.
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static void WriteData(Stream stream, Tensor tensor)
    {
        if (tensor.numel() == 0) return;
        using var scope = NewDisposeScope();
        // A CPU, contiguous copy (or the same memory when it already is one) in the stored dtype.
        Tensor data = tensor.detach().cpu().contiguous();
        long byteLength = data.numel() * SafetensorsDType.ElementSize(data.dtype);
        if (byteLength <= int.MaxValue)
        {
            stream.Write(data.bytes);
            return;
        }

        Tensor flat = data.view(-1);
        long elementSize = SafetensorsDType.ElementSize(data.dtype);
        long sliceElements = SliceBytes / elementSize;
        long count = flat.shape[0];
        for (long start = 0; start < count; start += sliceElements)
            stream.Write(flat.narrow(0, start, Math.Min(sliceElements, count - start)).bytes);
    }
}
