using System.Text.Json;

namespace TestTimeScaling.Torch;

/// <summary>
/// The tokenizer half of a GGUF file, read from a byte-level BPE <c>tokenizer.json</c>: tokens by id, their
/// llama.cpp token types, and the merges, in the form llama.cpp's "gpt2" tokenizer model expects.
/// </summary>
internal sealed record GgufVocabulary(IReadOnlyList<string> Tokens, IReadOnlyList<int> TokenTypes, IReadOnlyList<string> Merges, string PreTokenizer)
{
    // llama.cpp's llama_token_type values.
    private const int Normal = 1, Control = 3, UserDefined = 4, Unused = 5;

    // Split patterns llama.cpp recognizes by name ("tokenizer.ggml.pre").
    private const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)";
    private const string Llama3Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    // Qwen2, Qwen2.5 and Qwen3: Llama 3's pattern with every digit its own piece.
    private const string Qwen2Pattern = @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";
    // GPT-4o's o200k: case-aware words with their contractions attached.
    private const string Gpt4oPattern = @"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    // DeepSeek-V3: digit runs and kana/CJK runs split off before its main pattern (whose line breaks are real CR/LF).
    private static readonly string[] DeepSeekV3Splits =
    [
        @"\p{N}{1,3}",
        "[\u4e00-\u9fa5\u3040-\u309f\u30a0-\u30ff]+",
        "[!\"#$%&'()*+,\\-./:;<=>?@\\[\\\\\\]^_`{|}~][A-Za-z]+|[^\r\n\\p{L}\\p{P}\\p{S}]?[\\p{L}\\p{M}]+| ?[\\p{P}\\p{S}]+[\r\n]*|\\s*[\r\n]+|\\s+(?!\\S)|\\s+",
    ];

    /// <summary>Reads <paramref name="path"/>; ids up to <paramref name="vocabSize"/> without a token become unused placeholders.</summary>
    /// <exception cref="NotSupportedException">The tokenizer is not byte-level BPE, or its pre-tokenizer has no llama.cpp equivalent.</exception>
    /// <exception cref="InvalidDataException">The file is malformed or has ids at or beyond <paramref name="vocabSize"/>.</exception>
    public static GgufVocabulary Read(string path, int vocabSize)
    {
        JsonDocument document;
        try { document = JsonDocument.Parse(File.ReadAllBytes(path)); }
        catch (JsonException ex) { throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex); }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("model", out var model) || model.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{path}' has no \"model\" object.");
            string? type = model.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;
            if (type != "BPE" || model.TryGetProperty("byte_fallback", out var fallback) && fallback.ValueKind == JsonValueKind.True)
                throw new NotSupportedException($"'{path}': GGUF export handles byte-level BPE tokenizers only (model type \"{type}\").");

            var tokens = new string?[vocabSize];
            var types = new int[vocabSize];
            void Set(string token, int id, int kind, string where)
            {
                if (id < 0 || id >= vocabSize)
                    throw new InvalidDataException($"'{path}': {where} id {id} of \"{token}\" is outside the model's vocab_size {vocabSize}.");
                tokens[id] = token;
                types[id] = kind;
            }

            if (!model.TryGetProperty("vocab", out var vocab) || vocab.ValueKind != JsonValueKind.Object)
                throw new InvalidDataException($"'{path}': model.vocab must be an object.");
            foreach (var entry in vocab.EnumerateObject())
            {
                if (entry.Value.ValueKind != JsonValueKind.Number || !entry.Value.TryGetInt32(out int id))
                    throw new InvalidDataException($"'{path}': model.vocab[\"{entry.Name}\"] must be an integer id.");
                Set(entry.Name, id, Normal, "model.vocab");
            }
            if (root.TryGetProperty("added_tokens", out var added) && added.ValueKind == JsonValueKind.Array)
            {
                foreach (var token in added.EnumerateArray())
                {
                    if (!token.TryGetProperty("id", out var idElement) || !idElement.TryGetInt32(out int id)
                        || !token.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                        throw new InvalidDataException($"'{path}': every added_tokens entry needs an integer \"id\" and a string \"content\".");
                    bool special = token.TryGetProperty("special", out var s) && s.ValueKind == JsonValueKind.True;
                    Set(content.GetString()!, id, special ? Control : UserDefined, "added_tokens");
                }
            }

            // Embedding rows past the tokenizer's ids (vocabularies padded to a round size) still need a token each.
            var names = new string[vocabSize];
            for (int id = 0; id < vocabSize; id++)
            {
                names[id] = tokens[id] ?? $"[PAD{id}]";
                if (tokens[id] is null) types[id] = Unused;
            }

            var merges = new List<string>();
            if (model.TryGetProperty("merges", out var mergeArray) && mergeArray.ValueKind == JsonValueKind.Array)
            {
                foreach (var merge in mergeArray.EnumerateArray())
                {
                    merges.Add(merge.ValueKind switch
                    {
                        JsonValueKind.String => merge.GetString()!,
                        JsonValueKind.Array when merge.GetArrayLength() == 2 => $"{merge[0].GetString()} {merge[1].GetString()}",
                        _ => throw new InvalidDataException($"'{path}': model.merges entries must be \"a b\" strings or [a, b] pairs."),
                    });
                }
            }
            return new GgufVocabulary(names, types, merges, PreTokenizerName(root, path));
        }
    }

    /// <summary>llama.cpp's name for the pre-tokenizer: GPT-2's ByteLevel regex, Llama 3's, Qwen2's or GPT-4o's split pattern, or DeepSeek-V3's three, before a ByteLevel without regex.</summary>
    private static string PreTokenizerName(JsonElement root, string path)
    {
        if (!root.TryGetProperty("pre_tokenizer", out var pre) || pre.ValueKind != JsonValueKind.Object)
            throw new NotSupportedException($"'{path}': GGUF export needs a pre_tokenizer (none found).");
        var parts = Flatten(pre).ToList();
        bool byteLevelRegex = parts.Any(p => Type(p) == "ByteLevel" && (!p.TryGetProperty("use_regex", out var r) || r.ValueKind == JsonValueKind.True));
        var splits = parts.Where(p => Type(p) == "Split").Select(SplitPattern).ToList();
        if (splits.Count == 0 && byteLevelRegex) return "gpt-2";
        if (splits.Count == 1 && splits[0] == Llama3Pattern) return "llama-bpe";
        if (splits.Count == 1 && splits[0] == Qwen2Pattern) return "qwen2";
        if (splits.Count == 1 && splits[0] == Gpt4oPattern) return "gpt-4o";
        if (splits.Count == 1 && splits[0] == Gpt2Pattern) return "gpt-2";
        if (splits.SequenceEqual(DeepSeekV3Splits)) return "deepseek-v3";
        throw new NotSupportedException($"'{path}': GGUF export knows the GPT-2, Llama 3, Qwen2, GPT-4o and DeepSeek-V3 pre-tokenizers only; this file's has no llama.cpp name.");
    }

    private static IEnumerable<JsonElement> Flatten(JsonElement element) =>
        Type(element) == "Sequence" && element.TryGetProperty("pretokenizers", out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().SelectMany(Flatten)
            : [element];

    private static string? Type(JsonElement element) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty("type", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString() : null;

    private static string? SplitPattern(JsonElement split) =>
        split.TryGetProperty("pattern", out var p) && p.ValueKind == JsonValueKind.Object
            ? (p.TryGetProperty("Regex", out var r) ? r.GetString() : p.TryGetProperty("String", out var s) ? s.GetString() : null)
            : null;
}
