using System.Text.Json;

namespace TestTimeScaling.Torch;

/// <summary>
/// Typed, bounded access to the fields of one JSON object of a config file. A missing key or a JSON
/// <c>null</c> reads as "absent" (null), as Python's <c>dict.get</c> does; any other mismatch is an
/// <see cref="InvalidDataException"/> naming the file and the key.
/// </summary>
internal readonly struct JsonFields(JsonElement obj, string source, string path)
{
    private string Name(string key) => path.Length == 0 ? key : $"{path}.{key}";

    private InvalidDataException Wrong(string key, string expected, JsonElement value) =>
        new($"'{source}': \"{Name(key)}\" must be {expected}, got {Describe(value)}.");

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => "a string",
        JsonValueKind.Number => $"the number {Truncated(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        JsonValueKind.Array => "an array",
        JsonValueKind.Object => "an object",
        _ => value.ValueKind.ToString(),
    };

    private static string Truncated(string text) => text.Length <= 40 ? text : text[..40] + "...";

    private bool TryGet(string key, out JsonElement value) =>
        obj.TryGetProperty(key, out value) && value.ValueKind != JsonValueKind.Null;

    public string? String(string key)
    {
        if (!TryGet(key, out var v)) return null;
        return v.ValueKind == JsonValueKind.String ? v.GetString() : throw Wrong(key, "a string", v);
    }

    public bool? Bool(string key)
    {
        if (!TryGet(key, out var v)) return null;
        return v.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Wrong(key, "true or false", v),
        };
    }

    public int? Int(string key) => TryGet(key, out var v) ? ToInt(key, v) : null;

    public int RequiredInt(string key) =>
        Int(key) ?? throw new InvalidDataException($"'{source}' lacks the integer \"{Name(key)}\".");

    public double? Double(string key)
    {
        if (!TryGet(key, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Number || !v.TryGetDouble(out double d)) throw Wrong(key, "a number", v);
        if (!double.IsFinite(d)) throw Wrong(key, "a finite number", v);
        return d;
    }

    public JsonElement? Object(string key)
    {
        if (!TryGet(key, out var v)) return null;
        return v.ValueKind == JsonValueKind.Object ? v : throw Wrong(key, "an object", v);
    }

    public int? ObjectCount(string key) => Object(key) is { } o ? o.EnumerateObject().Count() : null;

    public IReadOnlyList<string>? StringList(string key)
    {
        if (!TryGet(key, out var v)) return null;
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(key, "an array of strings", v);
        var list = new List<string>();
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String) throw Wrong($"{key}[{i}]", "a string", item);
            list.Add(item.GetString()!);
            i++;
        }
        return list;
    }

    /// <summary>An integer or an array of integers (HF's <c>eos_token_id</c>); absent is empty.</summary>
    public IReadOnlyList<int> IntOrIntList(string key)
    {
        if (!TryGet(key, out var v)) return [];
        if (v.ValueKind == JsonValueKind.Number) return [ToInt(key, v)];
        if (v.ValueKind != JsonValueKind.Array) throw Wrong(key, "an integer or an array of integers", v);
        var list = new List<int>();
        int i = 0;
        foreach (var item in v.EnumerateArray())
        {
            list.Add(ToInt($"{key}[{i}]", item));
            i++;
        }
        return list;
    }

    private int ToInt(string key, JsonElement v)
    {
        if (v.ValueKind != JsonValueKind.Number) throw Wrong(key, "an integer", v);
        if (v.TryGetInt32(out int i)) return i;
        // Accept an integral number written with a fraction or exponent (4096.0, 4.096e3); refuse the rest.
        if (v.TryGetDouble(out double d) && double.IsFinite(d) && Math.Floor(d) == d && d >= int.MinValue && d <= int.MaxValue)
            return (int)d;
        throw Wrong(key, "an integer in the 32-bit range", v);
    }
}
