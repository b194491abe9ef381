using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Torch;

/// <summary>
/// A <c>model.safetensors.index.json</c>: which shard file holds each tensor (<c>weight_map</c>) and the
/// total tensor bytes (<c>metadata.total_size</c>).
/// </summary>
internal sealed class SafetensorsIndex
{
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
    /// <exception cref="InvalidDataException">The index is not valid JSON, lacks <c>weight_map</c>, or names a shard outside its directory.</exception>
    public static SafetensorsIndex Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Safetensors index not found: '{path}'.", path);
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
        if (root is not JsonObject obj || obj["weight_map"] is not JsonObject map)
            throw new InvalidDataException($"'{path}' has no \"weight_map\" object.");

        var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, value) in map)
        {
            if (value is not JsonValue v || !v.TryGetValue(out string? file) || string.IsNullOrEmpty(file))
                throw new InvalidDataException($"'{path}': weight_map entry for tensor '{name}' must be a file name.");
            // Shards live beside the index; a path could read arbitrary files on the machine.
            if (file != Path.GetFileName(file) || file is "." or "..")
                throw new InvalidDataException($"'{path}': weight_map entry for tensor '{name}' names '{file}', which is not a plain file name.");
            weightMap[name] = file;
        }

        long? totalSize = obj["metadata"] is JsonObject metadata && metadata["total_size"] is JsonValue t && t.TryGetValue(out long size) ? size : null;
        return new SafetensorsIndex(weightMap, totalSize);
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
