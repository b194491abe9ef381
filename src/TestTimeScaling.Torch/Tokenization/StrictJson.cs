using System.Text.Json;

namespace TestTimeScaling.Torch;

/// <summary>
/// Typed, strict reads of a JSON object of a model file: every wrong type is an <see cref="InvalidDataException"/>
/// naming the file and the key, never an exception of System.Text.Json's own.
/// </summary>
internal readonly struct StrictJson
{
    /// <summary>Wraps <paramref name="element"/>, which must be an object.</summary>
    public StrictJson(JsonElement element, string path, string where)
    {
        if (element.ValueKind != JsonValueKind.Object) throw Malformed(path, $"{where} must be an object");
        Element = element;
        Path = path;
        Where = where;
    }

    /// <summary>The object.</summary>
    public JsonElement Element { get; }

    /// <summary>The file, for messages.</summary>
    public string Path { get; }

    /// <summary>Where the object is in the file ("model", "pre_tokenizer.pretokenizers[1]").</summary>
    public string Where { get; }

    /// <summary>Reads a file as a JSON document: size bounded, UTF-8 checked, duplicate keys refused.</summary>
    public static JsonDocument Parse(string path, long maxBytes)
    {
        long length = new FileInfo(path).Length;
        if (length > maxBytes) throw new InvalidDataException($"'{path}' is {length} bytes, more than the {maxBytes} a file of its kind may have.");
        byte[] bytes = File.ReadAllBytes(path);
        if (!System.Text.Unicode.Utf8.IsValid(bytes)) throw new InvalidDataException($"'{path}' is not valid UTF-8.");
        try
        {
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowDuplicateProperties = false, MaxDepth = 128 });
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // A key with an escaped lone surrogate, met while checking for duplicate keys.
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
    }

    /// <summary>An <see cref="InvalidDataException"/> naming the file.</summary>
    public static InvalidDataException Malformed(string path, string what) => new($"'{path}' is malformed: {what}.");

    private string Key(string key) => $"{Where}.{key}";

    /// <summary>The value of a key, or null when absent or JSON null.</summary>
    public JsonElement? Get(string key)
        => Element.TryGetProperty(key, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value : null;

    /// <summary>A string value, or null.</summary>
    public string? String(string key) => Get(key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => ReadString(v, Path, Key(key)),
        _ => throw Malformed(Path, $"{Key(key)} must be a string"),
    };

    /// <summary>A required string value.</summary>
    public string RequiredString(string key) => String(key) ?? throw Malformed(Path, $"{Key(key)} is missing");

    /// <summary>A boolean value, or <paramref name="fallback"/> when absent.</summary>
    public bool Bool(string key, bool fallback) => Get(key) switch
    {
        null => fallback,
        { ValueKind: JsonValueKind.True } => true,
        { ValueKind: JsonValueKind.False } => false,
        _ => throw Malformed(Path, $"{Key(key)} must be true or false"),
    };

    /// <summary>A non-negative integer value, or null.</summary>
    public int? Int(string key) => Get(key) is { } v ? ReadId(v, Path, Key(key)) : null;

    /// <summary>A nested object, or null.</summary>
    public StrictJson? Object(string key) => Get(key) is { } v ? new StrictJson(v, Path, Key(key)) : null;

    /// <summary>An array value, or null.</summary>
    public JsonElement? Array(string key) => Get(key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.Array } v => v,
        _ => throw Malformed(Path, $"{Key(key)} must be an array"),
    };

    /// <summary>The objects of an array value (none when absent); a non-object item is an error.</summary>
    public IEnumerable<StrictJson> Objects(string key)
    {
        if (Array(key) is not { } array) yield break;
        int i = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            yield return new StrictJson(item, Path, $"{Key(key)}[{i}]");
            i++;
        }
    }

    /// <summary>The name of a property, with an escaped lone surrogate refused.</summary>
    public static string PropertyName(JsonProperty property, string path, string where)
    {
        string name;
        try
        {
            name = property.Name;
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException($"'{path}' is malformed: {where} has a key that is not valid text ({ex.Message}).", ex);
        }
        return ReferenceEquals(CodePoints.Sanitize(name), name) ? name : throw Malformed(path, $"{where} has a key with a lone surrogate");
    }

    /// <summary>A string element, with invalid UTF-16 (an escaped lone surrogate) refused.</summary>
    public static string ReadString(JsonElement value, string path, string where)
    {
        if (value.ValueKind != JsonValueKind.String) throw Malformed(path, $"{where} must be a string");
        string text;
        try
        {
            text = value.GetString()!;
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException($"'{path}' is malformed: {where} is not valid text ({ex.Message}).", ex);
        }
        if (!ReferenceEquals(CodePoints.Sanitize(text), text)) throw Malformed(path, $"{where} holds a lone surrogate");
        return text;
    }

    /// <summary>A non-negative 32-bit integer element.</summary>
    public static int ReadId(JsonElement value, string path, string where)
        => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int id) && id >= 0
            ? id
            : throw Malformed(path, $"{where} must be a non-negative integer below 2^31");
}
