using System.Text.Json;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Torch;

/// <summary>
/// The special-token settings a model directory keeps beside tokenizer.json: the BOS/EOS/PAD token strings,
/// <c>add_bos_token</c> and the chat template from <c>tokenizer_config.json</c>, and the ids from
/// <c>generation_config.json</c>. Both files are optional.
/// </summary>
internal sealed record SpecialTokenSettings
{
    /// <summary><c>bos_token</c> of tokenizer_config.json.</summary>
    public string? BosToken { get; init; }
    /// <summary><c>eos_token</c> of tokenizer_config.json.</summary>
    public string? EosToken { get; init; }
    /// <summary><c>pad_token</c> of tokenizer_config.json.</summary>
    public string? PadToken { get; init; }
    /// <summary><c>add_bos_token</c> of tokenizer_config.json, when present.</summary>
    public bool? AddBosToken { get; init; }
    /// <summary><c>chat_template</c> of tokenizer_config.json (the default one when it lists several).</summary>
    public string? ChatTemplate { get; init; }
    /// <summary><c>bos_token_id</c> of generation_config.json.</summary>
    public int? GenerationBosId { get; init; }
    /// <summary><c>eos_token_id</c> of generation_config.json (one id or a list).</summary>
    public IReadOnlyList<int> GenerationEosIds { get; init; } = [];
    /// <summary><c>pad_token_id</c> of generation_config.json.</summary>
    public int? GenerationPadId { get; init; }
    /// <summary>The tokenizer_config.json path, for messages.</summary>
    public required string TokenizerConfigPath { get; init; }

    /// <summary>Reads whichever of the two files exist in <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A file exists but is malformed; the message names it.</exception>
    public static SpecialTokenSettings Read(string directory)
    {
        string configPath = Path.Combine(directory, ModelDirectory.TokenizerConfigFileName);
        var settings = new SpecialTokenSettings { TokenizerConfigPath = configPath };
        if (ReadObject(configPath) is { } config)
        {
            settings = settings with
            {
                BosToken = TokenText(config, "bos_token", configPath),
                EosToken = TokenText(config, "eos_token", configPath),
                PadToken = TokenText(config, "pad_token", configPath),
                AddBosToken = config["add_bos_token"] switch
                {
                    null => null,
                    JsonValue v when v.TryGetValue(out bool b) => b,
                    _ => throw Malformed(configPath, "\"add_bos_token\" must be true or false"),
                },
                ChatTemplate = ChatTemplateText(config["chat_template"], configPath),
            };
        }

        string generationPath = Path.Combine(directory, ModelDirectory.GenerationConfigFileName);
        if (ReadObject(generationPath) is { } generation)
        {
            settings = settings with
            {
                GenerationBosId = OptionalId(generation["bos_token_id"], generationPath, "bos_token_id"),
                GenerationEosIds = generation["eos_token_id"] switch
                {
                    null => [],
                    JsonArray list => list.Select(item => OptionalId(item, generationPath, "eos_token_id")
                        ?? throw Malformed(generationPath, "\"eos_token_id\" lists a null")).ToArray(),
                    JsonNode one => OptionalId(one, generationPath, "eos_token_id") is { } id ? [id] : [],
                },
                GenerationPadId = OptionalId(generation["pad_token_id"], generationPath, "pad_token_id"),
            };
        }
        return settings;
    }

    private static JsonObject? ReadObject(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var root = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw Malformed(path, "the root must be a JSON object");
            _ = root.Count; // materializes the object now, so a duplicate key fails here with the file named
            return root;
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
    }

    // transformers writes a token either as its text or as an AddedToken object {"content": ..., "lstrip": ...}.
    private static string? TokenText(JsonObject config, string key, string path) => config[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? text) => text,
        JsonObject o when o["content"] is JsonValue c && c.TryGetValue(out string? content) => content,
        _ => throw Malformed(path, $"\"{key}\" must be a string or an object with \"content\""),
    };

    // Some models list named templates: [{"name": "default", "template": "..."}, {"name": "tool_use", ...}].
    private static string? ChatTemplateText(JsonNode? node, string path)
    {
        switch (node)
        {
            case null:
                return null;
            case JsonValue v when v.TryGetValue(out string? text):
                return text;
            case JsonArray list:
                var named = list.OfType<JsonObject>()
                    .Select(o => (Name: OptionalText(o["name"]), Template: OptionalText(o["template"])))
                    .Where(t => t.Template is not null)
                    .ToList();
                return named.FirstOrDefault(t => t.Name == "default").Template ?? named.FirstOrDefault().Template;
            default:
                throw Malformed(path, "\"chat_template\" must be a string or a list of named templates");
        }
    }

    private static string? OptionalText(JsonNode? node) => node is JsonValue v && v.TryGetValue(out string? text) ? text : null;

    private static int? OptionalId(JsonNode? node, string path, string key) => node switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out int id) && id >= 0 => id,
        _ => throw Malformed(path, $"\"{key}\" must be a non-negative integer id (or a list of them)"),
    };

    private static InvalidDataException Malformed(string path, string what) => new($"'{path}' is malformed: {what}.");
}
