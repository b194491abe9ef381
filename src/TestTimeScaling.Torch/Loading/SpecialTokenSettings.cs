using System.Text.Json;

namespace TestTimeScaling.Torch;

/// <summary>
/// The special-token settings a model directory keeps beside tokenizer.json: the BOS/EOS/PAD token strings,
/// <c>add_bos_token</c>, <c>added_tokens_decoder</c> and the chat template from <c>tokenizer_config.json</c>,
/// and the ids from <c>generation_config.json</c>. Both files are optional; a malformed one (wrong types,
/// duplicate keys, nulls in lists, invalid UTF-8) is an <see cref="InvalidDataException"/> naming it and the key.
/// </summary>
internal sealed record SpecialTokenSettings
{
    private const long MaxFileBytes = 64L << 20;

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
    /// <summary>The ids of tokenizer_config.json's <c>added_tokens_decoder</c>, with their content.</summary>
    public IReadOnlyList<(int Id, string Content)> AddedTokensDecoder { get; init; } = [];
    /// <summary><c>bos_token_id</c> of generation_config.json.</summary>
    public int? GenerationBosId { get; init; }
    /// <summary><c>eos_token_id</c> of generation_config.json (one id or a list).</summary>
    public IReadOnlyList<int> GenerationEosIds { get; init; } = [];
    /// <summary><c>pad_token_id</c> of generation_config.json.</summary>
    public int? GenerationPadId { get; init; }
    /// <summary>The tokenizer_config.json path, for messages.</summary>
    public required string TokenizerConfigPath { get; init; }
    /// <summary>The generation_config.json path, for messages.</summary>
    public required string GenerationConfigPath { get; init; }

    /// <summary>Reads whichever of the two files exist in <paramref name="directory"/>.</summary>
    /// <exception cref="InvalidDataException">A file exists but is malformed; the message names it and the key.</exception>
    public static SpecialTokenSettings Read(string directory)
    {
        string configPath = Path.Combine(directory, ModelDirectory.TokenizerConfigFileName);
        string generationPath = Path.Combine(directory, ModelDirectory.GenerationConfigFileName);
        var settings = new SpecialTokenSettings { TokenizerConfigPath = configPath, GenerationConfigPath = generationPath };
        if (File.Exists(configPath))
        {
            settings = Guarded(configPath, () => ReadTokenizerConfig(settings, configPath));
        }

        if (File.Exists(generationPath))
        {
            settings = Guarded(generationPath, () => ReadGenerationConfig(settings, generationPath));
        }
        return settings;
    }

    // System.Text.Json reports text it cannot decode with InvalidOperationException; every other case is checked.
    private static SpecialTokenSettings Guarded(string path, Func<SpecialTokenSettings> read)
    {
        try
        {
            return read();
        }
        catch (InvalidOperationException ex)
        {
            throw new InvalidDataException($"'{path}' is malformed: {ex.Message}", ex);
        }
    }

    private static SpecialTokenSettings ReadTokenizerConfig(SpecialTokenSettings settings, string configPath)
    {
        using JsonDocument document = StrictJson.Parse(configPath, MaxFileBytes);
        var config = new StrictJson(document.RootElement, configPath, "the root");
        return settings with
        {
                BosToken = TokenText(config, "bos_token"),
                EosToken = TokenText(config, "eos_token"),
                PadToken = TokenText(config, "pad_token"),
                AddBosToken = config.Get("add_bos_token") is null ? null : config.Bool("add_bos_token", false),
                ChatTemplate = ChatTemplateText(config),
            AddedTokensDecoder = AddedTokensDecoderOf(config),
        };
    }

    private static SpecialTokenSettings ReadGenerationConfig(SpecialTokenSettings settings, string generationPath)
    {
        using JsonDocument document = StrictJson.Parse(generationPath, MaxFileBytes);
        var generation = new StrictJson(document.RootElement, generationPath, "the root");
        return settings with
        {
                GenerationBosId = generation.Int("bos_token_id"),
                GenerationEosIds = generation.Get("eos_token_id") switch
                {
                    null => [],
                    { ValueKind: JsonValueKind.Array } list => list.EnumerateArray()
                        .Select((item, i) => StrictJson.ReadId(item, generationPath, $"eos_token_id[{i}]")).ToArray(),
                    { } one => [StrictJson.ReadId(one, generationPath, "eos_token_id")],
                },
            GenerationPadId = generation.Int("pad_token_id"),
        };
    }

    // transformers writes a token either as its text or as an AddedToken object {"content": ..., "lstrip": ...}.
    private static string? TokenText(StrictJson config, string key) => config.Get(key) switch
    {
        null => null,
        { ValueKind: JsonValueKind.String } v => StrictJson.ReadString(v, config.Path, key),
        { ValueKind: JsonValueKind.Object } => config.Object(key)!.Value.RequiredString("content"),
        _ => throw StrictJson.Malformed(config.Path, $"\"{key}\" must be a string or an object with \"content\""),
    };

    // {"128000": {"content": "<|begin_of_text|>", "special": true, ...}, ...}
    private static List<(int, string)> AddedTokensDecoderOf(StrictJson config)
    {
        var result = new List<(int, string)>();
        if (config.Object("added_tokens_decoder") is not { } decoder) return result;
        foreach (JsonProperty entry in decoder.Element.EnumerateObject())
        {
            string key = StrictJson.PropertyName(entry, config.Path, "added_tokens_decoder");
            if (!int.TryParse(key, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int id))
                throw StrictJson.Malformed(config.Path, $"added_tokens_decoder key \"{key}\" is not a non-negative integer id");
            var token = new StrictJson(entry.Value, config.Path, $"added_tokens_decoder[\"{key}\"]");
            result.Add((id, token.RequiredString("content")));
        }
        return result;
    }

    // Some models list named templates: [{"name": "default", "template": "..."}, {"name": "tool_use", ...}].
    private static string? ChatTemplateText(StrictJson config)
    {
        switch (config.Get("chat_template"))
        {
            case null:
                return null;
            case { ValueKind: JsonValueKind.String } v:
                return StrictJson.ReadString(v, config.Path, "chat_template");
            case { ValueKind: JsonValueKind.Array }:
                var named = config.Objects("chat_template")
                    .Select(o => (Name: o.String("name"), Template: o.RequiredString("template")))
                    .ToList();
                return named.FirstOrDefault(t => t.Name == "default").Template ?? named.FirstOrDefault().Template;
            default:
                throw StrictJson.Malformed(config.Path, "\"chat_template\" must be a string or a list of named templates");
        }
    }
}
