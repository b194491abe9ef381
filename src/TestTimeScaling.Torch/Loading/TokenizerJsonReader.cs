using System.Text;
using System.Text.Json;

namespace TestTimeScaling.Torch;

/// <summary>
/// Parses a Hugging Face <c>tokenizer.json</c> into a <see cref="TokenizerDefinition"/>. BPE models (byte-level
/// and SentencePiece-style) with the components listed in docs/tokenizers.md are read; any other model or
/// component raises <see cref="NotSupportedException"/> naming the file and the component, and a malformed file
/// (wrong JSON types, duplicate keys, duplicate ids, merges of unknown tokens, invalid UTF-8) raises
/// <see cref="InvalidDataException"/> naming the file and the key.
/// </summary>
internal static class TokenizerJsonReader
{
    /// <summary>The largest tokenizer.json read (real ones reach ~35 MB).</summary>
    public const long MaxFileBytes = 512L << 20;

    /// <summary>Reads and checks <paramref name="path"/>.</summary>
    public static TokenizerDefinition Read(string path)
    {
        using JsonDocument document = StrictJson.Parse(path, MaxFileBytes);
        var root = new StrictJson(document.RootElement, path, "the root");
        try
        {
            return ReadRoot(root, path);
        }
        catch (InvalidOperationException ex)
        {
            // System.Text.Json reports text it cannot decode this way; every other case is checked above.
            throw new InvalidDataException($"'{path}' is malformed: {ex.Message}", ex);
        }
    }

    private static NotSupportedException Unsupported(string path, string component, string type)
        => new($"'{path}': {component} type \"{type}\" is not supported (see docs/tokenizers.md for the supported components).");

    private static TokenizerDefinition ReadRoot(StrictJson root, string path)
    {
        if (root.Get("truncation") is not null) throw new NotSupportedException($"'{path}': truncation is not supported; remove it (it cuts encodings short).");
        if (root.Get("padding") is not null) throw new NotSupportedException($"'{path}': padding is not supported; remove it (it pads single encodings).");
        StrictJson model = root.Object("model") ?? throw StrictJson.Malformed(path, "there is no \"model\" object");
        // Old files may omit the model type; only BPE has merges.
        string type = model.String("type") ?? (model.Get("merges") is not null ? "BPE" : "(none)");
        if (type != "BPE") throw Unsupported(path, "model", type);
        if (model.Get("dropout") is { } dropout && !(dropout.ValueKind == JsonValueKind.Number && dropout.TryGetDouble(out double p) && p == 0))
            throw new NotSupportedException($"'{path}': model.dropout (BPE dropout) is not supported.");

        Dictionary<string, int> vocab = ReadVocab(model, path);
        var added = ReadAddedTokens(root, path);
        TextNormalizer? normalizer = root.Object("normalizer") is { } n ? ReadNormalizer(n, path) : null;
        bool byteLevel = false;
        PreTokenizer? preTokenizer = root.Object("pre_tokenizer") is { } pt ? ReadPreTokenizer(pt, path, ref byteLevel) : null;
        TokenDecoder? decoder = root.Object("decoder") is { } d ? ReadDecoder(d, path) : null;
        var prefix = new List<int>();
        var suffix = new List<int>();
        if (root.Object("post_processor") is { } post) ReadPostProcessor(post, path, prefix, suffix);

        string? unk = model.String("unk_token");
        int? unkId = null;
        if (unk is not null)
            unkId = vocab.TryGetValue(unk, out int id) ? id : throw StrictJson.Malformed(path, $"model.unk_token \"{unk}\" is not in model.vocab");
        string? prefixText = model.String("continuing_subword_prefix");
        var ranked = new List<(string, string)>();
        var merges = ReadMerges(model, vocab, prefixText, path, ranked);
        var bpe = new BpeModel(vocab, merges, unkId, model.Bool("fuse_unk", false), model.Bool("byte_fallback", false),
            model.Bool("ignore_merges", false), prefixText, model.String("end_of_word_suffix"), byteLevel ? ranked : null);

        return new TokenizerDefinition
        {
            Vocab = vocab,
            Model = bpe,
            AddedTokens = added,
            Normalizer = normalizer,
            PreTokenizer = preTokenizer,
            Decoder = decoder,
            TemplatePrefix = prefix,
            TemplateSuffix = suffix,
            ByteLevel = byteLevel,
        };
    }

    private static Dictionary<string, int> ReadVocab(StrictJson model, string path)
    {
        if (model.Get("vocab") is not { ValueKind: JsonValueKind.Object } vocabObject)
            throw StrictJson.Malformed(path, "model.vocab must be an object of token to id");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var seen = new Dictionary<int, string>();
        foreach (JsonProperty entry in vocabObject.EnumerateObject())
        {
            string token = StrictJson.PropertyName(entry, path, "model.vocab");
            int id = StrictJson.ReadId(entry.Value, path, $"model.vocab[\"{token}\"]");
            if (seen.TryGetValue(id, out string? other))
                throw StrictJson.Malformed(path, $"model.vocab gives id {id} to both \"{other}\" and \"{token}\"");
            seen[id] = token;
            vocab[token] = id;
        }
        return vocab;
    }

    // HF writes merges as "left right" strings (tokenizers < 0.20) or as [left, right] pairs (newer versions).
    private static Dictionary<long, (int Rank, int NewId)> ReadMerges(StrictJson model, Dictionary<string, int> vocab, string? prefix, string path,
        List<(string, string)> ranked)
    {
        var merges = new Dictionary<long, (int, int)>();
        if (model.Array("merges") is not { } array) return merges;
        int rank = 0;
        foreach (JsonElement item in array.EnumerateArray())
        {
            string where = $"model.merges[{rank}]";
            string left, right;
            if (item.ValueKind == JsonValueKind.String)
            {
                string text = StrictJson.ReadString(item, path, where);
                int space = text.IndexOf(' ');
                if (space <= 0 || space == text.Length - 1 || text.IndexOf(' ', space + 1) >= 0)
                    throw StrictJson.Malformed(path, $"{where} \"{text}\" must be two tokens separated by one space");
                (left, right) = (text[..space], text[(space + 1)..]);
            }
            else if (item.ValueKind == JsonValueKind.Array && item.GetArrayLength() == 2)
            {
                left = StrictJson.ReadString(item[0], path, where + "[0]");
                right = StrictJson.ReadString(item[1], path, where + "[1]");
            }
            else
            {
                throw StrictJson.Malformed(path, $"{where} must be a \"left right\" string or a [left, right] pair");
            }
            if (!vocab.TryGetValue(left, out int leftId)) throw StrictJson.Malformed(path, $"{where} names \"{left}\", which is not in model.vocab");
            if (!vocab.TryGetValue(right, out int rightId)) throw StrictJson.Malformed(path, $"{where} names \"{right}\", which is not in model.vocab");
            string tail = right;
            if (!string.IsNullOrEmpty(prefix))
            {
                if (!right.StartsWith(prefix, StringComparison.Ordinal))
                    throw StrictJson.Malformed(path, $"{where}: \"{right}\" does not start with the continuing_subword_prefix");
                tail = right[prefix.Length..];
            }
            if (!vocab.TryGetValue(left + tail, out int newId))
                throw StrictJson.Malformed(path, $"{where} makes \"{left + tail}\", which is not in model.vocab");
            // As in Hugging Face's table, a repeated pair keeps its last rank.
            merges[BpeModel.PairKey(leftId, rightId)] = (rank, newId);
            ranked.Add((left, right));
            rank++;
        }
        return merges;
    }

    private static List<AddedToken> ReadAddedTokens(StrictJson root, string path)
    {
        var tokens = new List<AddedToken>();
        var ids = new HashSet<int>();
        foreach (StrictJson entry in root.Objects("added_tokens"))
        {
            int id = entry.Int("id") ?? throw StrictJson.Malformed(path, $"{entry.Where}.id is missing");
            string content = entry.RequiredString("content");
            if (content.Length == 0) throw StrictJson.Malformed(path, $"{entry.Where}.content is empty");
            if (!ids.Add(id)) throw StrictJson.Malformed(path, $"{entry.Where}.id {id} is used by another added token");
            bool special = entry.Bool("special", false);
            tokens.Add(new AddedToken(id, content, special)
            {
                SingleWord = entry.Bool("single_word", false),
                LeftStrip = entry.Bool("lstrip", false),
                RightStrip = entry.Bool("rstrip", false),
                Normalized = entry.Bool("normalized", !special),
            });
        }
        return tokens;
    }

    private static string TypeOf(StrictJson component, string path) => component.String("type") ?? throw StrictJson.Malformed(path, $"{component.Where} has no \"type\"");

    private static TextNormalizer ReadNormalizer(StrictJson n, string path)
    {
        string type = TypeOf(n, path);
        return type switch
        {
            "NFC" => new UnicodeFormNormalizer(NormalizationForm.FormC),
            "NFD" => new UnicodeFormNormalizer(NormalizationForm.FormD),
            "NFKC" => new UnicodeFormNormalizer(NormalizationForm.FormKC),
            "NFKD" => new UnicodeFormNormalizer(NormalizationForm.FormKD),
            "Lowercase" => new LowercaseNormalizer(),
            "Replace" => new ReplaceNormalizer(ReadPattern(n, path), n.String("content") ?? throw StrictJson.Malformed(path, $"{n.Where}.content is missing")),
            "Prepend" => new PrependNormalizer(n.RequiredString("prepend")),
            "Strip" => new StripNormalizer(n.Bool("strip_left", true), n.Bool("strip_right", true)),
            "Sequence" => new SequenceNormalizer(n.Objects("normalizers").Select(item => ReadNormalizer(item, path)).ToList()),
            _ => throw Unsupported(path, "normalizer", type),
        };
    }

    private static PreTokenizer ReadPreTokenizer(StrictJson p, string path, ref bool byteLevel)
    {
        string type = TypeOf(p, path);
        switch (type)
        {
            case "Sequence":
                var items = new List<PreTokenizer>();
                foreach (StrictJson item in p.Objects("pretokenizers")) items.Add(ReadPreTokenizer(item, path, ref byteLevel));
                return new SequencePreTokenizer(items);
            case "Split":
                return new SplitPreTokenizer(ReadPattern(p, path), Behavior(p, path, null), p.Bool("invert", false));
            case "ByteLevel":
                byteLevel = true;
                // Hugging Face's defaults when the keys are absent: add_prefix_space and use_regex are both true.
                return new ByteLevelPreTokenizer(p.Bool("add_prefix_space", true), p.Bool("use_regex", true));
            case "Digits":
                return new CharSplitPreTokenizer(CharSplitPreTokenizer.IsNumeric,
                    p.Bool("individual_digits", false) ? SplitBehavior.Isolated : SplitBehavior.Contiguous);
            case "Punctuation":
                return new CharSplitPreTokenizer(CharSplitPreTokenizer.IsPunctuation, Behavior(p, path, SplitBehavior.Isolated));
            case "Whitespace":
                return new SplitPreTokenizer(SplitPattern.ForRegex(@"\w+|[^\w\s]+"), SplitBehavior.Removed, invert: true);
            case "WhitespaceSplit":
                return new CharSplitPreTokenizer(CodePointSet.IsWhiteSpace, SplitBehavior.Removed);
            case "Metaspace":
                return new MetaspacePreTokenizer(Replacement(p, path), PrependScheme(p, path), p.Bool("split", true));
            default:
                throw Unsupported(path, "pre_tokenizer", type);
        }
    }

    private static SplitBehavior Behavior(StrictJson p, string path, SplitBehavior? fallback)
    {
        string? name = p.String("behavior");
        if (name is null) return fallback ?? throw StrictJson.Malformed(path, $"{p.Where}.behavior is missing");
        return name switch
        {
            "Removed" => SplitBehavior.Removed,
            "Isolated" => SplitBehavior.Isolated,
            "MergedWithPrevious" => SplitBehavior.MergedWithPrevious,
            "MergedWithNext" => SplitBehavior.MergedWithNext,
            "Contiguous" => SplitBehavior.Contiguous,
            _ => throw StrictJson.Malformed(path, $"{p.Where}.behavior \"{name}\" is not a split behavior"),
        };
    }

    private static string Replacement(StrictJson p, string path)
    {
        string replacement = p.String("replacement") ?? "\u2581";
        if (replacement.EnumerateRunes().Count() != 1) throw StrictJson.Malformed(path, $"{p.Where}.replacement must be one character");
        return replacement;
    }

    private static MetaspacePrependScheme PrependScheme(StrictJson p, string path) => p.String("prepend_scheme") switch
    {
        "always" => MetaspacePrependScheme.Always,
        "first" => MetaspacePrependScheme.First,
        "never" => MetaspacePrependScheme.Never,
        // Files older than prepend_scheme say add_prefix_space.
        null => p.Bool("add_prefix_space", true) ? MetaspacePrependScheme.Always : MetaspacePrependScheme.Never,
        var other => throw StrictJson.Malformed(path, $"{p.Where}.prepend_scheme \"{other}\" is not first, always or never"),
    };

    private static SplitPattern ReadPattern(StrictJson component, string path)
    {
        StrictJson pattern = component.Object("pattern") ?? throw StrictJson.Malformed(path, $"{component.Where}.pattern is missing");
        string? regex = pattern.String("Regex");
        string? literal = pattern.String("String");
        if ((regex is null) == (literal is null)) throw StrictJson.Malformed(path, $"{pattern.Where} needs exactly one of \"Regex\" and \"String\"");
        if (literal is not null) return SplitPattern.ForString(literal);
        try
        {
            return SplitPattern.ForRegex(regex!);
        }
        catch (FormatException ex)
        {
            throw new InvalidDataException($"'{path}' is malformed: {pattern.Where}.Regex: {ex.Message}.", ex);
        }
        catch (NotSupportedException ex)
        {
            throw new NotSupportedException($"'{path}': {pattern.Where}.Regex is not supported: {ex.Message}.", ex);
        }
    }

    private static TokenDecoder ReadDecoder(StrictJson d, string path)
    {
        string type = TypeOf(d, path);
        return type switch
        {
            "ByteLevel" => new ByteLevelDecoder(),
            "ByteFallback" => new ByteFallbackDecoder(),
            "Fuse" => new FuseDecoder(),
            "Strip" => new StripDecoder(StripContent(d, path), Count(d, "start", path), Count(d, "stop", path)),
            "Replace" => new ReplaceDecoder(ReadPattern(d, path), d.String("content") ?? throw StrictJson.Malformed(path, $"{d.Where}.content is missing")),
            "Metaspace" => new MetaspaceDecoder(Replacement(d, path), PrependScheme(d, path)),
            "Sequence" => new SequenceDecoder(d.Objects("decoders").Select(item => ReadDecoder(item, path)).ToList()),
            _ => throw Unsupported(path, "decoder", type),
        };
    }

    private static int StripContent(StrictJson d, string path)
    {
        string content = d.RequiredString("content");
        var runes = content.EnumerateRunes().ToList();
        return runes.Count == 1 ? runes[0].Value : throw StrictJson.Malformed(path, $"{d.Where}.content must be one character");
    }

    private static int Count(StrictJson d, string key, string path) => d.Int(key) ?? 0;

    private static void ReadPostProcessor(StrictJson p, string path, List<int> prefix, List<int> suffix)
    {
        string type = TypeOf(p, path);
        switch (type)
        {
            case "ByteLevel":
                return; // it only trims offsets; ids are unchanged
            case "Sequence":
                foreach (StrictJson item in p.Objects("processors")) ReadPostProcessor(item, path, prefix, suffix);
                return;
            case "TemplateProcessing":
                ReadTemplate(p, path, prefix, suffix);
                return;
            default:
                throw Unsupported(path, "post_processor", type);
        }
    }

    // "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}, ...]; the special tokens' ids are in "special_tokens".
    private static void ReadTemplate(StrictJson p, string path, List<int> prefix, List<int> suffix)
    {
        StrictJson specials = p.Object("special_tokens") ?? throw StrictJson.Malformed(path, $"{p.Where}.special_tokens is missing");
        var specialIds = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        foreach (JsonProperty property in specials.Element.EnumerateObject())
        {
            string name = StrictJson.PropertyName(property, path, specials.Where);
            var entry = new StrictJson(property.Value, path, $"{specials.Where}[\"{name}\"]");
            var ids = entry.Array("ids") ?? throw StrictJson.Malformed(path, $"{entry.Where}.ids is missing");
            int i = 0;
            specialIds[name] = ids.EnumerateArray().Select(id => StrictJson.ReadId(id, path, $"{entry.Where}.ids[{i++}]")).ToList();
        }
        var newPrefix = new List<int>();
        var newSuffix = new List<int>();
        bool seenSequence = false;
        foreach (StrictJson item in p.Objects("single"))
        {
            if (item.Object("Sequence") is { } sequence)
            {
                if (sequence.String("id") != "A") throw new NotSupportedException($"'{path}': {sequence.Where}.id must be \"A\" in the single-sequence template.");
                if (seenSequence) throw StrictJson.Malformed(path, $"{item.Where} repeats the sequence");
                seenSequence = true;
            }
            else if (item.Object("SpecialToken") is { } special)
            {
                string name = special.RequiredString("id");
                if (!specialIds.TryGetValue(name, out List<int>? ids)) throw StrictJson.Malformed(path, $"{special.Where}.id \"{name}\" is not in {specials.Where}");
                (seenSequence ? newSuffix : newPrefix).AddRange(ids);
            }
            else
            {
                throw StrictJson.Malformed(path, $"{item.Where} must hold \"Sequence\" or \"SpecialToken\"");
            }
        }
        if (!seenSequence) throw StrictJson.Malformed(path, $"{p.Where}.single has no sequence");
        prefix.InsertRange(0, newPrefix);
        suffix.AddRange(newSuffix);
    }
}
