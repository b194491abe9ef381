using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Unicode;

namespace TestTimeScaling.Torch;

/// <summary>
/// A <c>model.safetensors.index.json</c>: which shard file holds each tensor (<c>weight_map</c>) and the
/// total tensor bytes (<c>metadata.total_size</c>). Parsed strictly: any wrong type, <c>null</c>, duplicate key
/// or shard path that is not a plain file name is an <see cref="InvalidDataException"/> naming the file and field.
/// </summary>
internal sealed class SafetensorsIndex
{
    // An index lists names and file names only; a real one for a 400-layer model is well under 1 MB.
    private const long MaxIndexBytes = 64L << 20;

    private SafetensorsIndex(IReadOnlyDictionary<string, string> weightMap, long? totalSize)
    {
        WeightMap = weightMap;
        TotalSize = totalSize;
    }

    /// <summary>Tensor name to shard file name (relative to the index's directory).</summary>
    public IReadOnlyDictionary<string, string> WeightMap { get; }

    /// <summary><c>metadata.total_size</c>, when present.</summary>
    public long? TotalSize { get; }

    /// <summary>The distinct shard files, in order of first appearance in sorted tensor order.</summary>
    public IReadOnlyList<string> ShardFiles =>
        WeightMap.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Value).Distinct(StringComparer.Ordinal).ToList();

    /// <summary>Reads and validates an index file.</summary>
    /// <exception cref="FileNotFoundException">The index does not exist.</exception>
    /// <exception cref="InvalidDataException">The index is not valid UTF-8 JSON, has a field of the wrong type, a duplicate
    /// key or a <c>null</c>, lacks <c>weight_map</c>, or names a shard that is not a plain file name beside it.</exception>
    public static SafetensorsIndex Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors index not found: '{path}'.", path);
        long length = new FileInfo(path).Length;
        if (length > MaxIndexBytes)
            throw new InvalidDataException($"'{path}' is {length} bytes; a shard index larger than {MaxIndexBytes} bytes is refused.");

        byte[] bytes = File.ReadAllBytes(path);
        // JsonDocument checks UTF-8 only when a string is read (and then throws InvalidOperationException), so check it first.
        if (!Utf8.IsValid(bytes)) throw new InvalidDataException($"'{path}' is not valid UTF-8.");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(bytes);
        }
        catch (JsonException ex)
        {
            // Also raised for nesting deeper than 64 levels.
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            try
            {
                return Parse(document.RootElement, path);
            }
            catch (InvalidOperationException ex)
            {
                // An escaped lone surrogate ("\ud800") in a name or string cannot become a .NET string.
                throw new InvalidDataException($"'{path}' holds a string that is not valid text: {ex.Message}", ex);
            }
        }
    }

    private static SafetensorsIndex Parse(JsonElement root, string path)
    {
        if (root.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}' must hold a JSON object.");

        JsonElement? map = null;
        long? totalSize = null;
        foreach (JsonProperty property in Properties(root, path, "the top level"))
        {
            if (property.Name == "weight_map")
            {
                if (property.Value.ValueKind != JsonValueKind.Object)
                    throw new InvalidDataException($"'{path}': \"weight_map\" must be an object of tensor names to shard files.");
                map = property.Value;
            }
            else if (property.Name == "metadata")
            {
                totalSize = ReadMetadata(property.Value, path);
            }
        }
        if (map is not { } weights) throw new InvalidDataException($"'{path}' has no \"weight_map\" object.");

        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (JsonProperty entry in Properties(weights, path, "\"weight_map\""))
        {
            string name = entry.Name;
            if (name.Length == 0) throw new InvalidDataException($"'{path}': \"weight_map\" has an empty tensor name.");
            if (entry.Value.ValueKind != JsonValueKind.String || entry.Value.GetString() is not { Length: > 0 } file)
                throw new InvalidDataException($"'{path}': weight_map entry for tensor '{name}' must be a non-empty file name string.");
            CheckPlainFileName(file, path, name);
            weightMap[name] = file;
        }
        return new SafetensorsIndex(weightMap, totalSize);
    }

    // Shards live beside the index: a path could otherwise make a server read any file on the machine.
    // Symbolic links are checked later, against the resolved directory (see ModelPaths).
    private static void CheckPlainFileName(string file, string path, string tensor)
    {
        bool plain = file == Path.GetFileName(file) && file is not ("." or "..")
            && !Path.IsPathRooted(file) && file.IndexOfAny(['/', '\\', '\0']) < 0;
        if (!plain)
            throw new InvalidDataException(
                $"'{path}': weight_map entry for tensor '{tensor}' names '{file}', which is not a plain file name in the model directory.");
    }

    private static long? ReadMetadata(JsonElement metadata, string path)
    {
        if (metadata.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"'{path}': \"metadata\" must be an object.");
        long? totalSize = null;
        foreach (JsonProperty entry in Properties(metadata, path, "\"metadata\""))
        {
            if (entry.Name != "total_size") continue;
            if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt64(out long size) || size < 0)
                throw new InvalidDataException($"'{path}': \"metadata.total_size\" must be a non-negative integer, got {entry.Value.GetRawText()}.");
            totalSize = size;
        }
        return totalSize;
    }

    // JsonDocument keeps duplicate keys; an index where one tensor has two shards is ambiguous, so refuse it.
    private static List<JsonProperty> Properties(JsonElement obj, string path, string where)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var properties = new List<JsonProperty>();
        foreach (JsonProperty property in obj.EnumerateObject())
        {
            if (!seen.Add(property.Name))
                throw new InvalidDataException($"'{path}': {where} lists \"{property.Name}\" twice.");
            properties.Add(property);
        }
        return properties;
    }

    /// <summary>Writes an index file with sorted keys.</summary>
    public static void Write(string path, IReadOnlyDictionary<string, string> weightMap, long totalSize)
    {
        var map = new JsonObject();
        foreach (var (name, file) in weightMap.OrderBy(p => p.Key, StringComparer.Ordinal)) map[name] = file;
        var root = new JsonObject
        {
            ["metadata"] = new JsonObject { ["total_size"] = totalSize },
            ["weight_map"] = map,
        };
        var options = new JsonSerializerOptions { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        File.WriteAllText(path, root.ToJsonString(options) + "\n");
    }
}
