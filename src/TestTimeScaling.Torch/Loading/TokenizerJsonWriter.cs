using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace TestTimeScaling.Torch;

/// <summary>
/// Writes a byte-level BPE tokenizer as Hugging Face files (<c>tokenizer.json</c> and <c>tokenizer_config.json</c>)
/// that <see cref="HfTokenizer.Load"/> and transformers' <c>PreTrainedTokenizerFast</c> both read.
/// </summary>
internal static class TokenizerJsonWriter
{
    private static readonly JsonWriterOptions Options = new()
    {
        Indented = true,
        // Keep the byte-level symbols ('Ġ', 'Ċ') readable instead of \u-escaping them; still valid JSON.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    /// <summary>See <see cref="HfTokenizer.WriteByteLevelBpe"/>.</summary>
    public static void Write(
        string directory,
        IReadOnlyDictionary<string, int> vocab,
        IReadOnlyList<(string Left, string Right)> merges,
        IReadOnlyList<string> specialTokens,
        string? bos,
        string? eos,
        string? pad,
        string? splitRegex,
        bool addBosToken = false)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        CheckVocab(vocab);
        CheckMerges(merges, vocab);
        List<AddedToken> added = AssignSpecialIds(specialTokens, vocab);
        CheckNamedToken(bos, nameof(bos), vocab, specialTokens);
        CheckNamedToken(eos, nameof(eos), vocab, specialTokens);
        CheckNamedToken(pad, nameof(pad), vocab, specialTokens);
        if (splitRegex is not null)
        {
            try
            {
                _ = OnigurumaPattern.Compile(splitRegex);
            }
            catch (Exception ex) when (ex is FormatException or NotSupportedException)
            {
                throw new ArgumentException($"The split pattern is not a valid regular expression: {ex.Message}", nameof(splitRegex), ex);
            }
        }

        Directory.CreateDirectory(directory);
        WriteJson(Path.Combine(directory, ModelDirectory.TokenizerFileName), json => WriteTokenizer(json, vocab, merges, added, splitRegex));
        WriteJson(Path.Combine(directory, ModelDirectory.TokenizerConfigFileName), json => WriteConfig(json, added, bos, eos, pad, addBosToken));
    }

    private static void CheckVocab(IReadOnlyDictionary<string, int> vocab)
    {
        ArgumentNullException.ThrowIfNull(vocab);
        if (vocab.Count == 0) throw new ArgumentException("The vocabulary is empty.", nameof(vocab));
        var owners = new Dictionary<int, string>();
        foreach (var (token, id) in vocab)
        {
            if (string.IsNullOrEmpty(token)) throw new ArgumentException("The vocabulary has an empty token.", nameof(vocab));
            if (id < 0) throw new ArgumentException($"Token '{token}' has the negative id {id}.", nameof(vocab));
            if (!owners.TryAdd(id, token)) throw new ArgumentException($"Tokens '{owners[id]}' and '{token}' share the id {id}.", nameof(vocab));
            // A raw ' ' or '\n' in a byte-level vocabulary is a common mistake: it can never be produced by encoding.
            foreach (char c in token)
            {
                if (!ByteLevelAlphabet.TryGetByte(c, out _))
                    throw new ArgumentException(
                        $"Token '{token}' contains '{c}' (U+{(int)c:X4}), which is not a byte-level symbol; write tokens with {nameof(ByteLevelAlphabet)}.{nameof(ByteLevelAlphabet.Encode)}.",
                        nameof(vocab));
            }
        }
    }

    private static void CheckMerges(IReadOnlyList<(string Left, string Right)> merges, IReadOnlyDictionary<string, int> vocab)
    {
        ArgumentNullException.ThrowIfNull(merges);
        for (int i = 0; i < merges.Count; i++)
        {
            var (left, right) = merges[i];
            if (string.IsNullOrEmpty(left) || string.IsNullOrEmpty(right))
                throw new ArgumentException($"Merge #{i} has an empty side.", nameof(merges));
            foreach (string part in new[] { left, right, left + right })
            {
                if (!vocab.ContainsKey(part))
                    throw new ArgumentException($"Merge #{i} ('{left}', '{right}') needs '{part}', which is not in the vocabulary.", nameof(merges));
            }
        }
    }

    // A special token already in the vocabulary keeps its id (as GPT-2's <|endoftext|> does); the others
    // follow the highest vocabulary id, in the order given.
    private static List<AddedToken> AssignSpecialIds(IReadOnlyList<string> specialTokens, IReadOnlyDictionary<string, int> vocab)
    {
        ArgumentNullException.ThrowIfNull(specialTokens);
        int next = vocab.Values.Max() + 1;
        var added = new List<AddedToken>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string token in specialTokens)
        {
            if (string.IsNullOrEmpty(token)) throw new ArgumentException("A special token is empty.", nameof(specialTokens));
            if (!seen.Add(token)) throw new ArgumentException($"Special token '{token}' is listed twice.", nameof(specialTokens));
            added.Add(new AddedToken(vocab.TryGetValue(token, out int id) ? id : next++, token, Special: true));
        }
        return added;
    }

    private static void CheckNamedToken(string? token, string parameter, IReadOnlyDictionary<string, int> vocab, IReadOnlyList<string> specialTokens)
    {
        if (token is not null && !specialTokens.Contains(token) && !vocab.ContainsKey(token))
            throw new ArgumentException($"'{token}' is neither a special token nor in the vocabulary.", parameter);
    }

    private static void WriteJson(string path, Action<Utf8JsonWriter> write)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        using (var json = new Utf8JsonWriter(stream, Options)) write(json);
        stream.WriteByte((byte)'\n');
    }

    private static void WriteTokenizer(Utf8JsonWriter json, IReadOnlyDictionary<string, int> vocab,
        IReadOnlyList<(string Left, string Right)> merges, List<AddedToken> added, string? splitRegex)
    {
        json.WriteStartObject();
        json.WriteString("version", "1.0");
        json.WriteNull("truncation");
        json.WriteNull("padding");

        json.WriteStartArray("added_tokens");
        foreach (AddedToken token in added.OrderBy(t => t.Id))
        {
            json.WriteStartObject();
            json.WriteNumber("id", token.Id);
            json.WriteString("content", token.Content);
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("special", token.Special);
            json.WriteEndObject();
        }
        json.WriteEndArray();

        json.WriteNull("normalizer");
        json.WritePropertyName("pre_tokenizer");
        if (splitRegex is null)
        {
            // GPT-2's layout: ByteLevel splits with its built-in pattern.
            WriteByteLevel(json, addPrefixSpace: false, trimOffsets: true, useRegex: true);
        }
        else
        {
            // Llama 3 / Qwen2's layout: a Split with the pattern, then ByteLevel without its own pattern.
            json.WriteStartObject();
            json.WriteString("type", "Sequence");
            json.WriteStartArray("pretokenizers");
            json.WriteStartObject();
            json.WriteString("type", "Split");
            json.WriteStartObject("pattern");
            json.WriteString("Regex", splitRegex);
            json.WriteEndObject();
            json.WriteString("behavior", "Isolated");
            json.WriteBoolean("invert", false);
            json.WriteEndObject();
            WriteByteLevel(json, addPrefixSpace: false, trimOffsets: false, useRegex: false);
            json.WriteEndArray();
            json.WriteEndObject();
        }
        json.WritePropertyName("post_processor");
        WriteByteLevel(json, addPrefixSpace: true, trimOffsets: false, useRegex: true);
        json.WritePropertyName("decoder");
        WriteByteLevel(json, addPrefixSpace: true, trimOffsets: true, useRegex: true);

        json.WriteStartObject("model");
        json.WriteString("type", "BPE");
        json.WriteNull("dropout");
        json.WriteNull("unk_token");
        json.WriteNull("continuing_subword_prefix");
        json.WriteNull("end_of_word_suffix");
        json.WriteBoolean("fuse_unk", false);
        json.WriteBoolean("byte_fallback", false);
        json.WriteStartObject("vocab");
        foreach (var (token, id) in vocab.OrderBy(p => p.Value)) json.WriteNumber(token, id);
        json.WriteEndObject();
        // The "left right" form: every tokenizers version reads it, and byte-level tokens never contain a space.
        json.WriteStartArray("merges");
        foreach (var (left, right) in merges) json.WriteStringValue(left + " " + right);
        json.WriteEndArray();
        json.WriteEndObject();

        json.WriteEndObject();
    }

    private static void WriteByteLevel(Utf8JsonWriter json, bool addPrefixSpace, bool trimOffsets, bool useRegex)
    {
        json.WriteStartObject();
        json.WriteString("type", "ByteLevel");
        json.WriteBoolean("add_prefix_space", addPrefixSpace);
        json.WriteBoolean("trim_offsets", trimOffsets);
        json.WriteBoolean("use_regex", useRegex);
        json.WriteEndObject();
    }

    private static void WriteConfig(Utf8JsonWriter json, List<AddedToken> added, string? bos, string? eos, string? pad, bool addBosToken)
    {
        json.WriteStartObject();
        json.WriteBoolean("add_bos_token", addBosToken);
        json.WriteBoolean("add_eos_token", false);
        json.WriteStartObject("added_tokens_decoder");
        foreach (AddedToken token in added.OrderBy(t => t.Id))
        {
            json.WriteStartObject(token.Id.ToString(CultureInfo.InvariantCulture));
            json.WriteString("content", token.Content);
            json.WriteBoolean("lstrip", false);
            json.WriteBoolean("normalized", false);
            json.WriteBoolean("rstrip", false);
            json.WriteBoolean("single_word", false);
            json.WriteBoolean("special", token.Special);
            json.WriteEndObject();
        }
        json.WriteEndObject();
        WriteOptional(json, "bos_token", bos);
        json.WriteBoolean("clean_up_tokenization_spaces", false);
        WriteOptional(json, "eos_token", eos);
        WriteOptional(json, "pad_token", pad);
        json.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
        json.WriteEndObject();
    }

    private static void WriteOptional(Utf8JsonWriter json, string key, string? value)
    {
        if (value is null) json.WriteNull(key);
        else json.WriteString(key, value);
    }
}
