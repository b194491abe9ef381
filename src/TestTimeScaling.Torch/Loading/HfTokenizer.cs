using System.Text;

namespace TestTimeScaling.Torch;

/// <summary>
/// A Hugging Face tokenizer loaded from a model directory's <c>tokenizer.json</c>, with the special tokens of
/// <c>tokenizer_config.json</c> and <c>generation_config.json</c>: byte-level BPE (GPT-2, GPT-4o, Llama 3,
/// Qwen, DeepSeek-V3, SmolLM and this project's own models) and SentencePiece-style BPE (Llama 2, Mistral,
/// TinyLlama, Gemma), with ids equal to Hugging Face's on all of Unicode. The pipeline is Hugging Face's:
/// added tokens are found first, the rest is normalized, pre-tokenized, run through BPE, and the
/// post-processor's template adds BOS/EOS when asked (<see cref="EncodeWithSpecialTokens"/>). docs/tokenizers.md
/// lists the supported components; any other is refused at load by name.
/// </summary>
public sealed class HfTokenizer : ITextTokenizer
{
    private readonly string _path;
    private readonly TokenizerDefinition _definition;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<int, string> _vocabById;
    private readonly Dictionary<string, AddedToken> _added;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly AddedTokenMatcher _rawMatcher;
    private readonly AddedTokenMatcher _normalizedMatcher;
    private readonly SpecialTokenSettings _settings;

    private HfTokenizer(TokenizerDefinition definition, SpecialTokenSettings settings, string path)
    {
        _path = path;
        _definition = definition;
        _settings = settings;
        _vocab = definition.Vocab;
        _vocabById = new Dictionary<int, string>(_vocab.Count);
        foreach (var (token, id) in _vocab) _vocabById.TryAdd(id, token);

        _added = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (AddedToken token in definition.AddedTokens) _added[token.Content] = token;
        _addedById = definition.AddedTokens.ToDictionary(t => t.Id);
        // Tokens marked normalized are matched in normalized text, with their own content normalized the same way.
        _rawMatcher = new AddedTokenMatcher(definition.AddedTokens.Where(t => !t.Normalized).Select(t => (t.Content, t)));
        _normalizedMatcher = new AddedTokenMatcher(definition.AddedTokens.Where(t => t.Normalized)
            .Select(t => (definition.Normalizer?.Normalize(t.Content) ?? t.Content, t)));

        int maxVocab = _vocab.Count == 0 ? -1 : _vocab.Values.Max();
        int maxAdded = _addedById.Count == 0 ? -1 : _addedById.Keys.Max();
        VocabSize = Math.Max(maxVocab, maxAdded) + 1;
        SpecialTokens = _addedById.Values.Where(t => t.Special).OrderBy(t => t.Id).Select(t => t.Content).ToArray();

        int? Resolve(string? token, string key) => token is null ? null
            : TokenToId(token) ?? throw new InvalidDataException($"'{settings.TokenizerConfigPath}': {key} '{token}' is not a token of '{path}'.");
        int? bosFromConfig = Resolve(settings.BosToken, "bos_token");
        int? templateBos = definition.TemplatePrefix.Count > 0 ? definition.TemplatePrefix[0] : null;
        BosTokenId = settings.GenerationBosId ?? bosFromConfig ?? templateBos;
        EosTokenIds = new[] { Resolve(settings.EosToken, "eos_token") }.OfType<int>().Concat(settings.GenerationEosIds).Distinct().ToArray();
        PadTokenId = Resolve(settings.PadToken, "pad_token") ?? settings.GenerationPadId;
        AddBosToken = BosTokenId is not null && (settings.AddBosToken ?? templateBos is not null);
        ChatTemplate = settings.ChatTemplate;
    }

    /// <summary>One more than the highest token id (vocabulary or added token): the embedding rows it needs.</summary>
    public int VocabSize { get; }

    /// <summary>The beginning-of-sequence id: generation_config.json's, else tokenizer_config.json's <c>bos_token</c>, else the post-processor's prefix token.</summary>
    public int? BosTokenId { get; }

    /// <summary>The ids that end generation: tokenizer_config.json's <c>eos_token</c> and all of generation_config.json's <c>eos_token_id</c>.</summary>
    public IReadOnlyList<int> EosTokenIds { get; }

    /// <summary>The padding id: tokenizer_config.json's <c>pad_token</c>, else generation_config.json's <c>pad_token_id</c>.</summary>
    public int? PadTokenId { get; }

    /// <summary>
    /// Whether the model expects <see cref="BosTokenId"/> before every text: tokenizer_config.json's
    /// <c>add_bos_token</c>, else whether the post-processor template starts with a special token (Llama 3).
    /// Pass it to <see cref="Encode(string, bool)"/>.
    /// </summary>
    public bool AddBosToken { get; }

    /// <summary>The Jinja chat template of tokenizer_config.json, if any.</summary>
    public string? ChatTemplate { get; }

    /// <summary>The added tokens marked special, in id order.</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>Loads the tokenizer of a model directory (or of the directory holding the given tokenizer.json).</summary>
    /// <param name="directory">The model directory, or the path of its tokenizer.json.</param>
    /// <exception cref="DirectoryNotFoundException">The directory does not exist.</exception>
    /// <exception cref="FileNotFoundException">tokenizer.json is missing.</exception>
    /// <exception cref="NotSupportedException">The model is not BPE (WordPiece, Unigram, WordLevel) or a component is
    /// not implemented (see docs/tokenizers.md); the message names the file and the component.</exception>
    /// <exception cref="InvalidDataException">A file is malformed (wrong JSON types, duplicate keys or ids, merges of
    /// unknown tokens, invalid UTF-8); the message names the file and the key.</exception>
    public static HfTokenizer Load(string directory)
    {
        ArgumentException.ThrowIfNullOrEmpty(directory);
        if (File.Exists(directory)) directory = Path.GetDirectoryName(Path.GetFullPath(directory))!;
        if (!Directory.Exists(directory)) throw new DirectoryNotFoundException($"Tokenizer directory not found: '{directory}'.");
        string path = Path.Combine(directory, ModelDirectory.TokenizerFileName);
        if (!File.Exists(path)) throw new FileNotFoundException($"Tokenizer file not found: '{path}'.", path);

        TokenizerDefinition definition = TokenizerJsonReader.Read(path);
        SpecialTokenSettings settings = SpecialTokenSettings.Read(directory);
        return new HfTokenizer(definition, settings, path);
    }

    /// <summary>
    /// Writes a byte-level BPE tokenizer as <c>tokenizer.json</c> and <c>tokenizer_config.json</c> in Hugging Face's
    /// format, readable by <see cref="Load"/> and by transformers. Use it to save the tokenizer of a model trained here.
    /// </summary>
    /// <param name="directory">The directory (created if needed).</param>
    /// <param name="vocab">Token to id, tokens written in byte-level symbols (see <see cref="ByteLevelAlphabet"/>);
    /// include all 256 symbols unless the texts are known to need fewer.</param>
    /// <param name="merges">The merges, highest priority first; each side and their concatenation must be in the vocabulary.</param>
    /// <param name="specialTokens">Special tokens (plain text, such as "&lt;|endoftext|&gt;"). One already in the
    /// vocabulary keeps its id; the others get ids after the highest vocabulary id, in this order.</param>
    /// <param name="bos">The beginning-of-sequence token, or null.</param>
    /// <param name="eos">The end-of-sequence token, or null.</param>
    /// <param name="pad">The padding token, or null.</param>
    /// <param name="splitRegex">The pre-tokenizer split pattern; null for GPT-2's.</param>
    /// <param name="addBosToken">Whether the model expects <paramref name="bos"/> at the start of every text (<c>add_bos_token</c>).</param>
    /// <exception cref="ArgumentException">The vocabulary, merges or tokens are inconsistent; the message says which entry.</exception>
    public static void WriteByteLevelBpe(
        string directory,
        IReadOnlyDictionary<string, int> vocab,
        IReadOnlyList<(string Left, string Right)> merges,
        IReadOnlyList<string> specialTokens,
        string? bos,
        string? eos,
        string? pad,
        string? splitRegex = null,
        bool addBosToken = false)
        => TokenizerJsonWriter.Write(directory, vocab, merges, specialTokens, bos, eos, pad, splitRegex, addBosToken);

    /// <summary>Encodes text to ids as Hugging Face does with <c>add_special_tokens=False</c>. Added tokens written in
    /// the text (such as "&lt;|endoftext|&gt;") become their ids; no BOS is added.</summary>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentException">The text needs a character the vocabulary has no token for and the
    /// tokenizer has neither byte fallback nor an unk_token (Hugging Face would drop it silently).</exception>
    /// <exception cref="System.Text.RegularExpressions.RegexMatchTimeoutException">A split pattern of the file backtracks
    /// for more than 10 seconds on this text (only hostile patterns do; those of real tokenizers are linear).</exception>
    public IReadOnlyList<int> Encode(string text) => Encode(text, addBos: false);

    /// <summary>Encodes text to ids, first adding <see cref="BosTokenId"/> when <paramref name="addBos"/> is true and there is one.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addBos">Whether to start with the BOS id; pass <see cref="AddBosToken"/> to do what the model expects.</param>
    /// <exception cref="ArgumentException">The text needs a character the vocabulary has no token for (see <see cref="Encode(string)"/>).</exception>
    public IReadOnlyList<int> Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addBos && BosTokenId is { } bos) ids.Add(bos);
        EncodeInto(text, ids);
        return ids;
    }

    /// <summary>
    /// Encodes text as Hugging Face does with <c>add_special_tokens=True</c>: the post-processor's template
    /// (TemplateProcessing) puts its special tokens around the ids, BOS and/or EOS as the file says.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentException">The text needs a character the vocabulary has no token for (see <see cref="Encode(string)"/>).</exception>
    public IReadOnlyList<int> EncodeWithSpecialTokens(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(_definition.TemplatePrefix);
        EncodeInto(text, ids);
        ids.AddRange(_definition.TemplateSuffix);
        return ids;
    }

    /// <summary>Decodes ids to text with the file's decoder. Ids the tokenizer does not know are skipped.</summary>
    /// <param name="ids">The ids.</param>
    /// <param name="skipSpecialTokens">Leave out tokens marked special (end of text, padding); other added tokens are kept.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is negative.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>();
        foreach (int id in ids)
        {
            if (id < 0) throw new ArgumentOutOfRangeException(nameof(ids), id, "Token ids are non-negative.");
            if (_addedById.TryGetValue(id, out AddedToken? added))
            {
                if (!(skipSpecialTokens && added.Special)) tokens.Add(added.Content);
            }
            else if (_vocabById.TryGetValue(id, out string? token))
            {
                // Hugging Face skips by content: a vocabulary entry spelled like a special token is skipped too.
                if (!(skipSpecialTokens && _added.TryGetValue(token, out AddedToken? same) && same.Special)) tokens.Add(token);
            }
        }
        if (_definition.Decoder is null) return string.Join(" ", tokens);
        return string.Concat(_definition.Decoder.DecodeChain(tokens));
    }

    /// <summary>Text of <paramref name="ids"/> for generation output: special tokens are left out.</summary>
    string ITextTokenizer.Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: true);

    /// <summary>The id of a token string (in byte-level symbols for vocabulary entries of byte-level tokenizers), or null.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_added.TryGetValue(token, out AddedToken? added)) return added.Id;
        return _vocab.TryGetValue(token, out int id) ? id : null;
    }

    /// <summary>The token of an id (added token text, or the vocabulary entry as written in the file); null if unknown.</summary>
    public string? IdToToken(int id)
        => _addedById.TryGetValue(id, out AddedToken? added) ? added.Content : _vocabById.GetValueOrDefault(id);

    /// <summary>Whether BPE merging runs in Microsoft.ML.Tokenizers (plain byte-level files) rather than in <see cref="BpeModel"/>'s own loop.</summary>
    internal bool UsesLibraryMerges => _definition.Model.UsesLibraryMerges;

    /// <summary>Whether <paramref name="id"/> is an added token marked special.</summary>
    public bool IsSpecialToken(int id) => _addedById.TryGetValue(id, out AddedToken? token) && token.Special;

    /// <summary>
    /// Checks every token id the tokenizer files name against the model's embedding rows: the vocabulary, the
    /// added tokens and the template's special tokens of tokenizer.json, tokenizer_config.json's
    /// <c>added_tokens_decoder</c>, and generation_config.json's BOS/EOS/PAD ids.
    /// </summary>
    /// <param name="vocabSize">config.json's <c>vocab_size</c>.</param>
    /// <param name="configPath">The config.json path, for the message.</param>
    /// <exception cref="InvalidDataException">An id is at least <paramref name="vocabSize"/>; the message names the id and the file.</exception>
    internal void EnsureIdsBelow(int vocabSize, string configPath)
    {
        void Check(int id, string file, string what)
        {
            if (id >= vocabSize)
                throw new InvalidDataException($"'{file}': {what} has token id {id}, which is not below vocab_size {vocabSize} of '{configPath}'.");
        }
        foreach (var (token, id) in _vocab) Check(id, _path, $"model.vocab entry \"{token}\"");
        foreach (AddedToken token in _addedById.Values) Check(token.Id, _path, $"added token \"{token.Content}\"");
        foreach (int id in _definition.TemplatePrefix.Concat(_definition.TemplateSuffix)) Check(id, _path, "post_processor");
        foreach (var (id, content) in _settings.AddedTokensDecoder) Check(id, _settings.TokenizerConfigPath, $"added_tokens_decoder \"{content}\"");
        if (_settings.GenerationBosId is { } bos) Check(bos, _settings.GenerationConfigPath, "bos_token_id");
        foreach (int eos in _settings.GenerationEosIds) Check(eos, _settings.GenerationConfigPath, "eos_token_id");
        if (_settings.GenerationPadId is { } pad) Check(pad, _settings.GenerationConfigPath, "pad_token_id");
    }

    // Hugging Face's pipeline: added tokens matched in the raw text, the rest normalized, normalized added tokens
    // matched, the rest pre-tokenized, each piece run through the model.
    private void EncodeInto(string text, List<int> ids)
    {
        text = CodePoints.Sanitize(text);
        foreach (var (start, end, token) in SplitAdded(_rawMatcher, text))
        {
            if (token is not null) { ids.Add(token.Id); continue; }
            string segment = text[start..end];
            string normalized = _definition.Normalizer?.Normalize(segment) ?? segment;
            foreach (var (nStart, nEnd, nToken) in SplitAdded(_normalizedMatcher, normalized))
            {
                if (nToken is not null) { ids.Add(nToken.Id); continue; }
                var piece = new TextPiece(normalized[nStart..nEnd], AtStart: start == 0 && nStart == 0);
                List<TextPiece> pieces = _definition.PreTokenizer?.Apply([piece]) ?? [piece];
                foreach (TextPiece p in pieces)
                {
                    if (_definition.Model.Tokenize(p.Text, ids) is { } missing) throw Unrepresentable(missing);
                }
            }
        }
    }

    private static List<(int Start, int End, AddedToken? Token)> SplitAdded(AddedTokenMatcher matcher, string text)
        => matcher.IsEmpty ? (text.Length == 0 ? [] : [(0, text.Length, null)]) : matcher.Split(text);

    // BPE without byte fallback or an unk_token silently drops characters it has no token for (in Hugging Face
    // too); with a small trained vocabulary that would lose text without a trace, so say so instead.
    private ArgumentException Unrepresentable(string missing)
    {
        string what = _definition.ByteLevel
            ? $"byte 0x{(ByteLevelAlphabet.TryGetByte(missing[0], out byte b) ? b : 0):X2} (symbol '{missing}')"
            : $"the character '{missing}' (U+{char.ConvertToUtf32(missing, 0):X4})";
        return new ArgumentException($"The text needs {what}, which the vocabulary of '{_path}' lacks, and it has neither byte fallback nor an unk_token.", "text");
    }
}
