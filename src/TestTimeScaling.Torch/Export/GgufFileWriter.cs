using System.Text;

namespace TestTimeScaling.Torch;

/// <summary>
/// Writes the GGUF container (version 3, little-endian): header, metadata key/values, tensor descriptors,
/// then each tensor's bytes at an offset aligned to <see cref="Alignment"/>. It knows nothing about Llama;
/// <see cref="GgufExporter"/> decides what goes in.
/// </summary>
internal sealed class GgufFileWriter
{
    /// <summary>GGUF's default data alignment (the file does not override <c>general.alignment</c>).</summary>
    public const int Alignment = 32;

    // GGUF metadata value types (gguf_type in ggml's gguf.h).
    private const uint TypeUInt32 = 4, TypeInt32 = 5, TypeFloat32 = 6, TypeBool = 7, TypeString = 8, TypeArray = 9;

    private readonly List<(string Key, Action<BinaryWriter> WriteValue)> _metadata = [];
    private readonly List<GgufTensor> _tensors = [];

    public void AddUInt32(string key, uint value) => _metadata.Add((key, w => { w.Write(TypeUInt32); w.Write(value); }));

    public void AddInt32(string key, int value) => _metadata.Add((key, w => { w.Write(TypeInt32); w.Write(value); }));

    public void AddFloat32(string key, float value) => _metadata.Add((key, w => { w.Write(TypeFloat32); w.Write(value); }));

    public void AddBool(string key, bool value) => _metadata.Add((key, w => { w.Write(TypeBool); w.Write((byte)(value ? 1 : 0)); }));

    public void AddString(string key, string value) => _metadata.Add((key, w => { w.Write(TypeString); WriteString(w, value); }));

    public void AddStrings(string key, IReadOnlyList<string> values) => _metadata.Add((key, w =>
    {
        w.Write(TypeArray);
        w.Write(TypeString);
        w.Write((ulong)values.Count);
        foreach (string v in values) WriteString(w, v);
    }));

    public void AddInt32s(string key, IReadOnlyList<int> values) => _metadata.Add((key, w =>
    {
        w.Write(TypeArray);
        w.Write(TypeInt32);
        w.Write((ulong)values.Count);
        foreach (int v in values) w.Write(v);
    }));

    public void AddFloat32s(string key, IReadOnlyList<float> values) => _metadata.Add((key, w =>
    {
        w.Write(TypeArray);
        w.Write(TypeFloat32);
        w.Write((ulong)values.Count);
        foreach (float v in values) w.Write(v);
    }));

    /// <summary>Adds a tensor; its dimensions are in GGUF order (fastest-varying first, the reverse of torch's shape).</summary>
    public void AddTensor(GgufTensor tensor) => _tensors.Add(tensor);

    /// <summary>Writes the file; tensors are encoded one at a time, so memory stays at one tensor's bytes.</summary>
    public void Write(string path)
    {
        string temp = path + ".partial";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: false))
        {
            w.Write(Encoding.ASCII.GetBytes("GGUF"));
            w.Write(3u);
            w.Write((ulong)_tensors.Count);
            w.Write((ulong)_metadata.Count);
            foreach (var (key, writeValue) in _metadata)
            {
                WriteString(w, key);
                writeValue(w);
            }

            ulong offset = 0;
            foreach (var t in _tensors)
            {
                WriteString(w, t.Name);
                w.Write((uint)t.Dims.Length);
                foreach (long d in t.Dims) w.Write((ulong)d);
                w.Write((uint)t.Type);
                w.Write(offset);
                offset = Align(offset + (ulong)t.ByteCount);
            }

            Pad(w);
            foreach (var t in _tensors)
            {
                long start = w.BaseStream.Position;
                t.WriteData(w);
                long written = w.BaseStream.Position - start;
                if (written != t.ByteCount)
                    throw new InvalidOperationException($"GGUF tensor '{t.Name}' wrote {written} bytes, expected {t.ByteCount}.");
                Pad(w);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    private static ulong Align(ulong offset) => (offset + Alignment - 1) / Alignment * Alignment;

    private static void Pad(BinaryWriter w)
    {
        long position = w.BaseStream.Position;
        long padded = (long)Align((ulong)position);
        for (long i = position; i < padded; i++) w.Write((byte)0);
    }

    private static void WriteString(BinaryWriter w, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }
}

/// <summary>ggml tensor types this exporter writes (values from ggml's <c>ggml_type</c>).</summary>
internal enum GgmlType : uint
{
    F32 = 0,
    F16 = 1,
    Q8_0 = 8,
    BF16 = 30,
}

/// <summary>One tensor of a GGUF file: name, GGUF-order dimensions, type, size and a writer for its bytes.</summary>
internal sealed record GgufTensor(string Name, long[] Dims, GgmlType Type, long ByteCount, Action<BinaryWriter> WriteData);
