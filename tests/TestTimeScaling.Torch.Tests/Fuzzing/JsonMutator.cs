using System.Text;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Torch.Tests.Fuzzing;

/// <summary>
/// JSON-aware mutations: delete, rename, duplicate or add keys, nulls, type changes, huge and negative numbers,
/// odd strings (paths, NUL, long), array edits, invalid UTF-8 inside a string and deep nesting. Edits that JSON
/// trees cannot hold (duplicate keys, raw bytes) are placed as markers and spliced into the serialized text.
/// </summary>
internal static class JsonMutator
{
    private const string DuplicateMarker = "@@FUZZDUP@@";
    private const string RawMarker = "@@FUZZRAW";

    private static readonly JsonNode?[] Numbers =
    [
        0, -1, 1, 2, 3, 255, 256, 261, 262, 263, 65536, 1_000_000, 1_000_000_000, int.MaxValue, (long)int.MaxValue + 1,
        (long)int.MinValue - 1, long.MaxValue, long.MinValue, 1.5, -0.5, 1e30, -1e30, 1e308, double.Epsilon,
    ];

    private static readonly string[] Strings =
    [
        "", " ", "\0", "a\0b", "../model.safetensors", "../../etc/passwd", "/etc/passwd", "model.safetensors", "BF16", "F8_E4M3", "U16",
        "I64", "float16", "bfloat16", "llama", "mistral", "gpt2", "WordPiece", "Unigram", "ByteLevel", "Sequence", "<s>", "</s>", "\u00e9",
        "\ud83d\ude00", "\ud800", "(?<x>a)", "[", "\\", new string('x', 100_000),
    ];

    /// <summary>Applies 1-3 mutations to <paramref name="json"/>; returns the file bytes and what was done.</summary>
    public static (byte[] Bytes, string Description) Mutate(string json, Random random)
    {
        JsonNode? root = JsonNode.Parse(json);
        var raw = new List<byte[]>();
        var done = new List<string>();
        int count = random.Next(1, 4);
        for (int i = 0; i < count && root is not null; i++) done.Add(MutateOnce(ref root, random, raw));
        return (Serialize(root, raw), string.Join("; ", done));
    }

    private static string MutateOnce(ref JsonNode? root, Random random, List<byte[]> raw)
    {
        var nodes = new List<(JsonNode? Parent, string? Key, int Index, JsonNode? Node, string Path)>();
        Collect(null, null, -1, root, "$", nodes);
        // Half the time pick among shallow nodes, so a large vocabulary does not swallow every edit.
        var shallow = nodes.Where(n => n.Path.Count(c => c is '.' or '[') <= 2).ToList();
        var pool = random.Next(2) == 0 && shallow.Count > 1 ? shallow : nodes;
        var (parent, key, index, node, path) = pool[random.Next(pool.Count)];
        if (parent is null) return "root kept";

        switch (random.Next(12))
        {
            case 0:
                Remove(parent, key, index);
                return $"delete {path}";
            case 1:
                Replace(parent, key, index, null);
                return $"null at {path}";
            case 2:
                JsonNode? other = random.Next(6) switch
                {
                    0 => "text",
                    1 => 7,
                    2 => true,
                    3 => new JsonArray(),
                    4 => new JsonObject(),
                    _ => new JsonArray(1, "x", null),
                };
                Replace(parent, key, index, other);
                return $"type change at {path}";
            case 3:
                JsonNode? number = Numbers[random.Next(Numbers.Length)]?.DeepClone();
                Replace(parent, key, index, number);
                return $"{path} = {number?.ToJsonString()}";
            case 4:
                string text = Strings[random.Next(Strings.Length)];
                Replace(parent, key, index, text);
                return $"{path} = \"{(text.Length > 20 ? text[..20] + "..." : text)}\"";
            case 5 when parent is JsonObject obj && key is not null:
                // A second property with the same name (spliced in after serializing).
                obj[key + DuplicateMarker] = random.Next(2) == 0 ? node?.DeepClone() : Numbers[random.Next(Numbers.Length)]?.DeepClone();
                return $"duplicate {path}";
            case 6 when node is JsonValue value && value.TryGetValue(out string? s):
                Replace(parent, key, index, s + Marker(raw, InvalidUtf8(random)));
                return $"invalid UTF-8 in {path}";
            case 7:
                int depth = random.Next(2) == 0 ? random.Next(60, 70) : random.Next(500, 5000);
                Replace(parent, key, index, Marker(raw, Encoding.ASCII.GetBytes(new string('[', depth) + new string(']', depth))));
                return $"nesting {depth} deep at {path}";
            case 8 when node is JsonArray array:
                if (array.Count > 0 && random.Next(2) == 0)
                {
                    array.RemoveAt(random.Next(array.Count));
                    return $"remove an element of {path}";
                }
                array.Add(array.Count > 0 && random.Next(2) == 0 ? array[random.Next(array.Count)]?.DeepClone() : null);
                return $"append to {path}";
            case 9 when parent is JsonObject obj && key is not null:
                obj.Remove(key);
                obj[key + "_x"] = node;
                return $"rename {path}";
            case 10 when node is JsonObject obj:
                obj["fuzz_unknown_" + random.Next(100)] = random.Next(2) == 0 ? 1 : null;
                return $"unknown key in {path}";
            default:
                // Replace with a copy of another node of the document: plausible types in the wrong place.
                JsonNode? donor = nodes[random.Next(nodes.Count)].Node?.DeepClone();
                Replace(parent, key, index, donor);
                return $"transplant into {path}";
        }
    }

    private static byte[] InvalidUtf8(Random random) => random.Next(5) switch
    {
        0 => [0xFF],
        1 => [0xC3, 0x28],
        2 => [0xED, 0xA0, 0x80],
        3 => [0xC0, 0xAF],
        _ => [0xE2, 0x82],
    };

    private static string Marker(List<byte[]> raw, byte[] bytes)
    {
        raw.Add(bytes);
        return $"{RawMarker}{raw.Count - 1}@@";
    }

    private static void Collect(JsonNode? parent, string? key, int index, JsonNode? node, string path, List<(JsonNode?, string?, int, JsonNode?, string)> nodes)
    {
        nodes.Add((parent, key, index, node, path));
        if (node is JsonObject obj)
            foreach (var (k, v) in obj.ToList()) Collect(node, k, -1, v, $"{path}.{k}", nodes);
        else if (node is JsonArray array)
            for (int i = 0; i < array.Count; i++) Collect(node, null, i, array[i], $"{path}[{i}]", nodes);
    }

    private static void Remove(JsonNode parent, string? key, int index)
    {
        if (parent is JsonObject obj && key is not null) obj.Remove(key);
        else if (parent is JsonArray array) array.RemoveAt(index);
    }

    private static void Replace(JsonNode parent, string? key, int index, JsonNode? value)
    {
        if (value?.Parent is not null) value = value.DeepClone();
        if (parent is JsonObject obj && key is not null) obj[key] = value;
        else if (parent is JsonArray array) array[index] = value;
    }

    private static byte[] Serialize(JsonNode? root, List<byte[]> raw)
    {
        string text = root?.ToJsonString() ?? "null";
        text = text.Replace(DuplicateMarker, "", StringComparison.Ordinal);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        for (int i = 0; i < raw.Count; i++)
        {
            // A deep-nesting marker replaces the whole string literal; an invalid-UTF-8 marker sits inside one.
            byte[] marker = Encoding.ASCII.GetBytes($"{RawMarker}{i}@@");
            bool replacesLiteral = raw[i].Length > 0 && raw[i][0] == (byte)'[';
            bytes = Splice(bytes, replacesLiteral ? [(byte)'"', .. marker, (byte)'"'] : marker, raw[i]);
        }
        return bytes;
    }

    private static byte[] Splice(byte[] bytes, byte[] marker, byte[] replacement)
    {
        int at = bytes.AsSpan().IndexOf(marker);
        return at < 0 ? bytes : [.. bytes[..at], .. replacement, .. bytes[(at + marker.Length)..]];
    }
}
