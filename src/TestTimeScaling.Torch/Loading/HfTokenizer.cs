using System.Buffers;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace TestTimeScaling.Torch;

/// <summary>
/// A Hugging Face byte-level BPE tokenizer (GPT-2, Llama 3, Qwen2, SmolLM and this project's own models),
/// loaded from a model directory's <c>tokenizer.json</c>, with the special tokens of
/// <c>tokenizer_config.json</c> and <c>generation_config.json</c>. BPE merging and byte-level decoding are
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>; added-token matching, normalization and
/// pre-tokenization follow the Hugging Face semantics here.
/// </summary>
/// <remarks>
/// Not implemented: added-token <c>lstrip</c>/<c>rstrip</c>/<c>single_word</c> flags, BPE dropout, and
/// post-processors other than a BOS prefix (see <see cref="AddBosToken"/>).
/// </remarks>
public sealed class HfTokenizer : ITextTokenizer
{
    private readonly BpeTokenizer _bpe;
    private readonly string _path;
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;
    private readonly Dictionary<int, string> _vocabById;
    private readonly Dictionary<string, AddedToken> _added;
    private readonly Dictionary<string, AddedToken>.AlternateLookup<ReadOnlySpan<char>> _addedBySpan;
    private readonly Dictionary<int, AddedToken> _addedById;
    private readonly Regex? _addedPattern;
    private readonly PieceSplitter _splitter;
    private readonly bool _addPrefixSpace;
    private readonly bool _ignoreMerges;
    private readonly NormalizationForm? _normalization;
    // Bytes with no vocabulary symbol, when there is no unk_token to stand for them; null when none are missing.
    private readonly bool[]? _unrepresentableBytes;

    private HfTokenizer(TokenizerDefinition definition, SpecialTokenSettings settings, string path)
    {
        _path = path;
        _vocab = definition.Vocab;
        _vocabBySpan = _vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        _vocabById = new Dictionary<int, string>(_vocab.Count);
        foreach (var (token, id) in _vocab) _vocabById.TryAdd(id, token);

        _added = new Dictionary<string, AddedToken>(StringComparer.Ordinal);
        foreach (AddedToken token in definition.AddedTokens) _added[token.Content] = token;
        _addedBySpan = _added.GetAlternateLookup<ReadOnlySpan<char>>();
        _addedById = _added.Values.GroupBy(t => t.Id).ToDictionary(g => g.Key, g => g.Last());
        // Longest first: a regex alternation takes the first alternative that matches, HF the longest token.
        _addedPattern = _added.Count == 0 ? null : new Regex(
            string.Join("|", _added.Keys.OrderByDescending(k => k.Length).ThenBy(k => k, StringComparer.Ordinal).Select(Regex.Escape)),
            RegexOptions.CultureInvariant);

        _splitter = new PieceSplitter(definition.SplitPatterns);
        _addPrefixSpace = definition.AddPrefixSpace;
        _ignoreMerges = definition.IgnoreMerges;
        _normalization = definition.Normalization;
        _bpe = CreateBpe(definition, path);

        if (definition.UnknownToken is null)
        {
            var missing = new bool[256];
            bool any = false;
            for (int b = 0; b < 256; b++)
                any |= missing[b] = !_vocab.ContainsKey(ByteLevelAlphabet.Symbols[b]);
            _unrepresentableBytes = any ? missing : null;
        }

        VocabSize = Math.Max(_vocab.Count == 0 ? -1 : _vocab.Values.Max(), _addedById.Count == 0 ? -1 : _addedById.Keys.Max()) + 1;
        SpecialTokens = _addedById.Values.Where(t => t.Special).OrderBy(t => t.Id).Select(t => t.Content).ToArray();

        int? Resolve(string? token, string key) => token is null ? null
            : TokenToId(token) ?? throw new InvalidDataException($"'{settings.TokenizerConfigPath}': {key} '{token}' is not a token of '{path}'.");
        int? bosFromConfig = Resolve(settings.BosToken, "bos_token");
        int? templateBos = definition.TemplatePrefixToken is { } prefix ? TokenToId(prefix) : null;
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
    /// <exception cref="NotSupportedException">The tokenizer is not byte-level BPE (for example WordPiece, Unigram, or
    /// SentencePiece-style BPE), or uses a component this class does not implement; the message names the file and the type.</exception>
    /// <exception cref="InvalidDataException">A file is malformed; the message names it.</exception>
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

    /// <summary>Encodes text to ids. Added tokens written in the text (such as "&lt;|endoftext|&gt;") become their ids; no BOS is added.</summary>
    /// <param name="text">The text.</param>
    /// <exception cref="ArgumentException">The text needs a byte the vocabulary has no symbol for (only with partial byte alphabets and no unk_token).</exception>
    public IReadOnlyList<int> Encode(string text) => Encode(text, addBos: false);

    /// <summary>Encodes text to ids, first adding <see cref="BosTokenId"/> when <paramref name="addBos"/> is true and there is one.</summary>
    /// <param name="text">The text.</param>
    /// <param name="addBos">Whether to start with the BOS id; pass <see cref="AddBosToken"/> to do what the model expects.</param>
    /// <exception cref="ArgumentException">The text needs a byte the vocabulary has no symbol for (only with partial byte alphabets and no unk_token).</exception>
    public IReadOnlyList<int> Encode(string text, bool addBos)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 2);
        if (addBos && BosTokenId is { } bos) ids.Add(bos);

        // Added tokens are found first, in the raw text, so no normalization or split can break them apart.
        int position = 0;
        if (_addedPattern is not null)
        {
            foreach (ValueMatch match in _addedPattern.EnumerateMatches(text))
            {
                EncodeSegment(text.AsSpan(position, match.Index - position), ids);
                ids.Add(_addedBySpan[text.AsSpan(match.Index, match.Length)].Id);
                position = match.Index + match.Length;
            }
        }
        EncodeSegment(text.AsSpan(position), ids);
        return ids;
    }

    /// <summary>Decodes ids to text. Ids the tokenizer does not know are skipped.</summary>
    /// <param name="ids">The ids.</param>
    /// <param name="skipSpecialTokens">Leave out tokens marked special (end of text, padding); other added tokens are kept.</param>
    /// <exception cref="ArgumentOutOfRangeException">An id is negative.</exception>
    public string Decode(IEnumerable<int> ids, bool skipSpecialTokens = false)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var kept = new List<int>();
        foreach (int id in ids)
        {
            if (id < 0) throw new ArgumentOutOfRangeException(nameof(ids), id, "Token ids are non-negative.");
            if (skipSpecialTokens && _addedById.TryGetValue(id, out AddedToken? token) && token.Special) continue;
            kept.Add(id);
        }
        return _bpe.Decode(kept, considerSpecialTokens: true);
    }

    /// <summary>The id of a token: an added token's text, or a vocabulary entry in byte-level symbols ("Ġthe"); null if unknown.</summary>
    /// <summary>Text of <paramref name="ids"/> for generation output: special tokens are left out.</summary>
    string ITextTokenizer.Decode(IEnumerable<int> ids) => Decode(ids, skipSpecialTokens: true);

    /// <summary>The id of a token string (in byte-level symbols for vocabulary entries), or null.</summary>
    public int? TokenToId(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        if (_added.TryGetValue(token, out AddedToken? added)) return added.Id;
        return _vocab.TryGetValue(token, out int id) ? id : null;
    }

    /// <summary>The token of an id (added token text, or the vocabulary entry in byte-level symbols); null if unknown.</summary>
    public string? IdToToken(int id)
        => _addedById.TryGetValue(id, out AddedToken? added) ? added.Content : _vocabById.GetValueOrDefault(id);

    /// <summary>Whether <paramref name="id"/> is an added token marked special.</summary>
    public bool IsSpecialToken(int id) => _addedById.TryGetValue(id, out AddedToken? token) && token.Special;

    private void EncodeSegment(ReadOnlySpan<char> segment, List<int> ids)
    {
        if (segment.IsEmpty) return;
        string text = segment.ToString();
        if (_normalization is { } form) text = text.Normalize(form);
        if (_addPrefixSpace && !text.StartsWith(' ')) text = " " + text;
        if (_unrepresentableBytes is not null) CheckRepresentable(text);

        foreach (var (offset, length) in _splitter.Split(text))
        {
            ReadOnlySpan<char> piece = text.AsSpan(offset, length);
            if (_ignoreMerges && TryWholePiece(piece, out int id))
            {
                ids.Add(id);
                continue;
            }
            // The splitting is done; BpeTokenizer only merges (and maps to byte-level symbols).
            ids.AddRange(_bpe.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
        }
    }

    // ignore_merges (Llama 3): a piece that is a vocabulary entry is that token, whatever the merges would make.
    private bool TryWholePiece(ReadOnlySpan<char> piece, out int id)
    {
        int maxBytes = Encoding.UTF8.GetMaxByteCount(piece.Length);
        byte[]? rentedBytes = null;
        char[]? rentedChars = null;
        try
        {
            Span<byte> bytes = maxBytes <= 256 ? stackalloc byte[256] : (rentedBytes = ArrayPool<byte>.Shared.Rent(maxBytes));
            int count = Encoding.UTF8.GetBytes(piece, bytes);
            Span<char> symbols = count <= 256 ? stackalloc char[256] : (rentedChars = ArrayPool<char>.Shared.Rent(count));
            for (int i = 0; i < count; i++) symbols[i] = ByteLevelAlphabet.ToSymbol(bytes[i]);
            return _vocabBySpan.TryGetValue(symbols[..count], out id);
        }
        finally
        {
            if (rentedBytes is not null) ArrayPool<byte>.Shared.Return(rentedBytes);
            if (rentedChars is not null) ArrayPool<char>.Shared.Return(rentedChars);
        }
    }

    // BPE without an unk_token silently drops bytes it has no symbol for (in HF and Microsoft.ML.Tokenizers alike);
    // with a small trained vocabulary that would lose text without a trace, so say so instead.
    private void CheckRepresentable(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        foreach (byte b in bytes)
        {
            if (_unrepresentableBytes![b])
                throw new ArgumentException(
                    $"The text needs byte 0x{b:X2} (symbol '{ByteLevelAlphabet.ToSymbol(b)}'), which the vocabulary of '{_path}' lacks, and it has no unk_token.", "text");
        }
    }

    private static BpeTokenizer CreateBpe(TokenizerDefinition definition, string path)
    {
        foreach (var (left, right) in definition.Merges)
        {
            // Microsoft.ML.Tokenizers takes merges only as "left right" strings.
            if (left.Contains(' ') || right.Contains(' '))
                throw new NotSupportedException($"'{path}' has the merge ('{left}', '{right}') with a space inside a token, which Microsoft.ML.Tokenizers cannot represent.");
        }

        var options = new BpeOptions(definition.Vocab)
        {
            Merges = definition.Merges.Select(m => m.Left + " " + m.Right),
            SpecialTokens = definition.AddedTokens.GroupBy(t => t.Content).ToDictionary(g => g.Key, g => g.Last().Id),
            ByteLevel = true,
            UnknownToken = definition.UnknownToken,
            ContinuingSubwordPrefix = definition.ContinuingSubwordPrefix,
            EndOfWordSuffix = definition.EndOfWordSuffix,
        };
        try
        {
            return BpeTokenizer.Create(options);
        }
        catch (InvalidOperationException ex)
        {
            // For example a merge whose parts or result are not in the vocabulary.
            throw new InvalidDataException($"'{path}' is not a consistent BPE tokenizer: {ex.Message}", ex);
        }
    }
}
