using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling;

/// <summary>
/// Turns the .NET values a caller passes (strings, numbers, booleans, dictionaries, lists, JSON elements and
/// nodes, <see cref="ChatTemplateMessage"/>) into the interpreter's Python-like values.
/// </summary>
internal static class JinjaValues
{
    public static object? FromClr(object? value, string path, int depth = 0)
    {
        if (depth > 64) throw new ArgumentException($"Chat template variable '{path}' is nested more than 64 deep.");
        switch (value)
        {
            case null: return null;
            case string s: return s;
            case bool b: return b;
            case int or long or short or sbyte or byte or ushort or uint: return Convert.ToInt64(value, System.Globalization.CultureInfo.InvariantCulture);
            case ulong u: return u <= long.MaxValue ? (long)u : (double)u;
            case float or double or decimal: return Convert.ToDouble(value, System.Globalization.CultureInfo.InvariantCulture);
            case char c: return c.ToString();
            case JsonElement element: return FromJson(element, path, depth);
            case JsonNode node: return FromJson(JsonSerializer.SerializeToElement(node), path, depth);
            case ChatTemplateMessage message: return FromClr(message.ToDictionary(), path, depth);
            case IEnumerable<KeyValuePair<string, object?>> pairs:
            {
                var dict = PyDictComparer.NewDict();
                foreach (var (k, v) in pairs) dict[k] = FromClr(v, $"{path}.{k}", depth + 1);
                return dict;
            }
            case IDictionary map:
            {
                var dict = PyDictComparer.NewDict();
                foreach (DictionaryEntry entry in map)
                {
                    object key = FromClr(entry.Key, path, depth + 1) ?? throw new ArgumentException($"Chat template variable '{path}' has a null key.");
                    dict[key] = FromClr(entry.Value, $"{path}.{entry.Key}", depth + 1);
                }
                return dict;
            }
            case IEnumerable sequence:
            {
                var list = new List<object?>();
                int i = 0;
                foreach (object? item in sequence) list.Add(FromClr(item, $"{path}[{i++}]", depth + 1));
                return list;
            }
            default:
                throw new ArgumentException(
                    $"Chat template variable '{path}' has type {value.GetType().Name}; pass strings, numbers, booleans, null, " +
                    "dictionaries, lists, JsonElement/JsonNode or ChatTemplateMessage.");
        }
    }

    private static object? FromJson(JsonElement element, string path, int depth) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out long l) ? (object)l : element.GetDouble(),
        JsonValueKind.Array => element.EnumerateArray().Select((e, i) => FromJson(e, $"{path}[{i}]", depth + 1)).ToList(),
        JsonValueKind.Object => ObjectFromJson(element, path, depth),
        _ => throw new ArgumentException($"Chat template variable '{path}' has an unsupported JSON kind {element.ValueKind}."),
    };

    private static Dictionary<object, object?> ObjectFromJson(JsonElement element, string path, int depth)
    {
        if (depth > 64) throw new ArgumentException($"Chat template variable '{path}' is nested more than 64 deep.");
        var dict = PyDictComparer.NewDict();
        foreach (JsonProperty property in element.EnumerateObject()) dict[property.Name] = FromJson(property.Value, $"{path}.{property.Name}", depth + 1);
        return dict;
    }
}
