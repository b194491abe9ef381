using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace TestTimeScaling.Torch;

/// <summary>
/// Parses a Hugging Face <c>tokenizer.json</c> into a <see cref="TokenizerDefinition"/>. Byte-level BPE
/// (GPT-2, Llama 3, Qwen2, SmolLM) is read; any other model or component raises
/// <see cref="NotSupportedException"/> naming the file and the component, and malformed JSON raises
/// <see cref="InvalidDataException"/> naming the file.
/// </summary>
internal static class TokenizerJsonReader
{
    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    public static TokenizerDefinition Read(string path)
    {
        JsonNode? root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(path));
        }
        catch (JsonException ex)
        {
            throw new InvalidDataException($"'{path}' is not valid JSON: {ex.Message}", ex);
        }
        if (root is not JsonObject obj) throw Malformed(path, "the root must be a JSON object");

        try
        {
            return ReadRoot(obj, path);
        }
        catch (Exception ex) when (ex is InvalidOperationException or FormatException or ArgumentException)
        {
            // JsonNode reports wrong value kinds and duplicate keys this way.
            throw Malformed(path, ex.Message, ex);
        }
    }

    private static TokenizerDefinition ReadRoot(JsonObject root, string path)
    {
        if (root["model"] is not JsonObject model) throw Malformed(path, "there is no \"model\" object");
        // Old files may omit the model type; only BPE has merges.
        string type = String(model, "type", path, "model") ?? (model.ContainsKey("merges") ? "BPE" : "unknown");
        if (type != "BPE")
            throw new NotSupportedException($"'{path}' uses a {type} tokenizer model; only byte-level BPE tokenizers are supported.");
        if (Bool(model, "byte_fallback", false, path, "model"))
            throw new NotSupportedException($"'{path}' is a byte-fallback (SentencePiece-style) BPE tokenizer; only byte-level BPE tokenizers are supported.");

        var patterns = new List<Regex>();
        bool byteLevel = false, addPrefixSpace = false;
        ReadPreTokenizer(root["pre_tokenizer"], path, patterns, ref byteLevel, ref addPrefixSpace);
        byteLevel |= ReadDecoder(root["decoder"], path);
        if (!byteLevel)
            throw new NotSupportedException($"'{path}' has neither a ByteLevel pre-tokenizer nor a ByteLevel decoder; only byte-level BPE tokenizers are supported.");

        return new TokenizerDefinition
        {
            Vocab = ReadVocab(model, path),
            Merges = ReadMerges(model, path),
            AddedTokens = ReadAddedTokens(root["added_tokens"], path),
            SplitPatterns = patterns,
            AddPrefixSpace = addPrefixSpace,
            IgnoreMerges = Bool(model, "ignore_merges", false, path, "model"),
            Normalization = ReadNormalizer(root["normalizer"], path),
            UnknownToken = String(model, "unk_token", path, "model"),
            ContinuingSubwordPrefix = String(model, "continuing_subword_prefix", path, "model"),
            EndOfWordSuffix = String(model, "end_of_word_suffix", path, "model"),
            TemplatePrefixToken = ReadTemplatePrefix(root["post_processor"]),
        };
    }

    private static Dictionary<string, int> ReadVocab(JsonObject model, string path)
    {
        if (model["vocab"] is not JsonObject vocabObject) throw Malformed(path, "model.vocab must be an object of token to id");
        var vocab = new Dictionary<string, int>(vocabObject.Count, StringComparer.Ordinal);
        foreach (var (token, value) in vocabObject)
        {
            if (value is not JsonValue v || !v.TryGetValue(out int id) || id < 0)
                throw Malformed(path, $"model.vocab entry \"{token}\" must be a non-negative integer id");
            vocab[token] = id;
        }
        return vocab;
    }

    // HF writes merges as "left right" strings (tokenizers < 0.20) or as [left, right] pairs (newer versions).
    private static List<(string Left, string Right)> ReadMerges(JsonObject model, string path)
    {
        var merges = new List<(string, string)>();
        if (model["merges"] is null) return merges;
        if (model["merges"] is not JsonArray array) throw Malformed(path, "model.merges must be an array");
        for (int i = 0; i < array.Count; i++)
        {
            switch (array[i])
            {
                case JsonValue v when v.TryGetValue(out string? text):
                    int space = text.IndexOf(' ');
                    if (space <= 0 || space == text.Length - 1 || text.IndexOf(' ', space + 1) >= 0)
                        throw Malformed(path, $"model.merges[{i}] \"{text}\" must be two tokens separated by one space");
                    merges.Add((text[..space], text[(space + 1)..]));
                    break;
                case JsonArray pair when pair.Count == 2
                    && pair[0] is JsonValue l && l.TryGetValue(out string? left) && left.Length > 0
                    && pair[1] is JsonValue r && r.TryGetValue(out string? right) && right.Length > 0:
                    merges.Add((left, right));
                    break;
                default:
                    throw Malformed(path, $"model.merges[{i}] must be a \"left right\" string or a [left, right] pair");
            }
        }
        return merges;
    }

    private static List<AddedToken> ReadAddedTokens(JsonNode? node, string path)
    {
        var tokens = new List<AddedToken>();
        if (node is null) return tokens;
        if (node is not JsonArray array) throw Malformed(path, "added_tokens must be an array");
        for (int i = 0; i < array.Count; i++)
        {
            string where = $"added_tokens[{i}]";
            if (array[i] is not JsonObject entry) throw Malformed(path, $"{where} must be an object");
            if (entry["id"] is not JsonValue idValue || !idValue.TryGetValue(out int id) || id < 0)
                throw Malformed(path, $"{where} needs a non-negative integer \"id\"");
            string content = String(entry, "content", path, where) is { Length: > 0 } c ? c : throw Malformed(path, $"{where} needs a non-empty \"content\"");
            tokens.Add(new AddedToken(id, content, Bool(entry, "special", false, path, where)));
        }
        return tokens;
    }

    private static void ReadPreTokenizer(JsonNode? node, string path, List<Regex> patterns, ref bool byteLevel, ref bool addPrefixSpace)
    {
        if (node is null) return;
        if (node is not JsonObject obj) throw Malformed(path, "pre_tokenizer must be an object");
        string type = String(obj, "type", path, "pre_tokenizer") ?? throw Malformed(path, "pre_tokenizer has no \"type\"");
        switch (type)
        {
            case "Sequence":
                if (obj["pretokenizers"] is not JsonArray items) throw Malformed(path, "a Sequence pre_tokenizer needs \"pretokenizers\"");
                foreach (JsonNode? item in items) ReadPreTokenizer(item, path, patterns, ref byteLevel, ref addPrefixSpace);
                break;
            case "ByteLevel":
                byteLevel = true;
                // HF's defaults when the keys are absent: add_prefix_space and use_regex are both true.
                addPrefixSpace |= Bool(obj, "add_prefix_space", true, path, "pre_tokenizer");
                if (Bool(obj, "use_regex", true, path, "pre_tokenizer")) patterns.Add(Compile(PieceSplitter.Gpt2Pattern, path));
                break;
            case "Split":
                patterns.Add(ReadSplit(obj, path));
                break;
            case "Digits":
                patterns.Add(Compile(Bool(obj, "individual_digits", false, path, "pre_tokenizer") ? @"\p{N}" : @"\p{N}+", path));
                break;
            default:
                throw new NotSupportedException(
                    $"'{path}' uses a {type} pre-tokenizer; only ByteLevel, Split (Isolated), Digits and Sequence are supported.");
        }
    }

    private static Regex ReadSplit(JsonObject split, string path)
    {
        string behavior = String(split, "behavior", path, "Split") ?? "Isolated";
        if (behavior != "Isolated" || Bool(split, "invert", false, path, "Split"))
            throw new NotSupportedException($"'{path}' has a Split pre-tokenizer with behavior {behavior}{(behavior == "Isolated" ? " inverted" : "")}; only Isolated, not inverted, is supported.");
        if (split["pattern"] is not JsonObject pattern) throw Malformed(path, "a Split pre-tokenizer needs a \"pattern\" object");
        if (String(pattern, "Regex", path, "Split.pattern") is { } regex) return Compile(regex, path);
        if (String(pattern, "String", path, "Split.pattern") is { } literal) return Compile(Regex.Escape(literal), path);
        throw Malformed(path, "a Split pattern needs \"Regex\" or \"String\"");
    }

    private static Regex Compile(string pattern, string path)
    {
        try
        {
            // Compiled: built once per tokenizer, then run on every prompt.
            return new Regex(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);
        }
        catch (ArgumentException ex)
        {
            throw new NotSupportedException($"'{path}' has the split pattern {pattern}, which .NET regular expressions cannot compile: {ex.Message}", ex);
        }
    }

    // A ByteLevel decoder (alone or in a Sequence of ByteLevel) marks a byte-level tokenizer; decoders for
    // other schemes (Metaspace, ByteFallback, WordPiece) would decode our ids wrongly.
    private static bool ReadDecoder(JsonNode? node, string path)
    {
        if (node is null) return false;
        if (node is not JsonObject obj) throw Malformed(path, "decoder must be an object");
        string type = String(obj, "type", path, "decoder") ?? throw Malformed(path, "decoder has no \"type\"");
        if (type == "ByteLevel") return true;
        if (type == "Sequence" && obj["decoders"] is JsonArray items && items.Count > 0)
        {
            foreach (JsonNode? item in items) ReadDecoder(item, path);
            return true;
        }
        throw new NotSupportedException($"'{path}' uses a {type} decoder; only ByteLevel is supported.");
    }

    private static NormalizationForm? ReadNormalizer(JsonNode? node, string path)
    {
        if (node is null) return null;
        if (node is not JsonObject obj) throw Malformed(path, "normalizer must be an object");
        string type = String(obj, "type", path, "normalizer") ?? throw Malformed(path, "normalizer has no \"type\"");
        switch (type)
        {
            case "NFC": return NormalizationForm.FormC;
            case "NFD": return NormalizationForm.FormD;
            case "NFKC": return NormalizationForm.FormKC;
            case "NFKD": return NormalizationForm.FormKD;
            case "Sequence" when obj["normalizers"] is JsonArray items && items.Count <= 1:
                return items.Count == 0 ? null : ReadNormalizer(items[0], path);
            default:
                throw new NotSupportedException($"'{path}' uses a {type} normalizer; only none or one Unicode normalization (NFC, NFD, NFKC, NFKD) is supported.");
        }
    }

    // TemplateProcessing "single": [{"SpecialToken": {"id": "<|begin_of_text|>"}}, {"Sequence": {"id": "A"}}] means
    // the model expects that token before every text. Anything else here is ignored: it never changes ids of the text.
    private static string? ReadTemplatePrefix(JsonNode? node)
    {
        if (node is not JsonObject obj) return null;
        string? type = obj["type"] is JsonValue t && t.TryGetValue(out string? s) ? s : null;
        if (type == "Sequence" && obj["processors"] is JsonArray processors)
            return processors.Select(ReadTemplatePrefix).FirstOrDefault(p => p is not null);
        if (type != "TemplateProcessing" || obj["single"] is not JsonArray single || single.Count == 0) return null;
        return single[0] is JsonObject first && first["SpecialToken"] is JsonObject special
            && special["id"] is JsonValue id && id.TryGetValue(out string? token) ? token : null;
    }

    private static string? String(JsonObject obj, string key, string path, string where) => obj[key] switch
    {
        null => null,
        JsonValue v when v.TryGetValue(out string? s) => s,
        _ => throw Malformed(path, $"{where}.{key} must be a string"),
    };

    private static bool Bool(JsonObject obj, string key, bool fallback, string path, string where) => obj[key] switch
    {
        null => fallback,
        JsonValue v when v.TryGetValue(out bool b) => b,
        _ => throw Malformed(path, $"{where}.{key} must be true or false"),
    };

    private static InvalidDataException Malformed(string path, string what, Exception? inner = null)
        => new($"'{path}' is not a valid tokenizer.json: {what}.", inner);
}
