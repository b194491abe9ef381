using System.Text.Json;

namespace TestTimeScaling.Server;

/// <summary>Typed reads of a request body's fields; each wrong type or value is a 400 naming the field.</summary>
internal static class JsonFields
{
    public static JsonElement? Get(JsonElement obj, string name) =>
        obj.TryGetProperty(name, out var value) && value.ValueKind != JsonValueKind.Null ? value : null;

    public static string RequiredString(JsonElement obj, string name, string path)
    {
        var value = Get(obj, name) ?? throw ApiError.Invalid(path, $"'{path}' is required.");
        if (value.ValueKind != JsonValueKind.String) throw ApiError.Invalid(path, $"'{path}' must be a string.");
        return value.GetString()!;
    }

    public static string? OptionalString(JsonElement obj, string name, string path)
    {
        if (Get(obj, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.String) throw ApiError.Invalid(path, $"'{path}' must be a string.");
        return value.GetString();
    }

    public static bool? OptionalBool(JsonElement obj, string name, string path)
    {
        if (Get(obj, name) is not { } value) return null;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw ApiError.Invalid(path, $"'{path}' must be true or false."),
        };
    }

    public static int? OptionalInt(JsonElement obj, string name, string path, int min, int max)
    {
        if (Get(obj, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long n))
            throw ApiError.Invalid(path, $"'{path}' must be an integer.");
        if (n < min || n > max) throw ApiError.Invalid(path, $"'{path}' is {n}; it must be between {min} and {max}.");
        return (int)n;
    }

    public static long? OptionalLong(JsonElement obj, string name, string path)
    {
        if (Get(obj, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Number || !value.TryGetInt64(out long n))
            throw ApiError.Invalid(path, $"'{path}' must be an integer.");
        return n;
    }

    public static double? OptionalDouble(JsonElement obj, string name, string path, double min, double max, bool minExclusive = false)
    {
        if (Get(obj, name) is not { } value) return null;
        if (value.ValueKind != JsonValueKind.Number) throw ApiError.Invalid(path, $"'{path}' must be a number.");
        double d = value.GetDouble();
        if (!double.IsFinite(d) || d < min || (minExclusive && d == min) || d > max)
            throw ApiError.Invalid(path, $"'{path}' is {d}; it must be in {(minExclusive ? "(" : "[")}{min}, {max}].");
        return d;
    }

    /// <summary>A string or an array of strings (OpenAI's <c>stop</c>).</summary>
    public static IReadOnlyList<string> StringOrArray(JsonElement obj, string name, string path, int maxCount)
    {
        if (Get(obj, name) is not { } value) return [];
        if (value.ValueKind == JsonValueKind.String)
        {
            string s = value.GetString()!;
            if (s.Length == 0) throw ApiError.Invalid(path, $"'{path}' must not be empty.");
            return [s];
        }
        if (value.ValueKind != JsonValueKind.Array) throw ApiError.Invalid(path, $"'{path}' must be a string or an array of strings.");
        var list = new List<string>();
        foreach (var item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String || item.GetString() is not { Length: > 0 } s)
                throw ApiError.Invalid(path, $"'{path}[{list.Count}]' must be a non-empty string.");
            list.Add(s);
        }
        if (list.Count > maxCount) throw ApiError.Invalid(path, $"'{path}' holds {list.Count} entries; at most {maxCount} are allowed.");
        return list;
    }
}
