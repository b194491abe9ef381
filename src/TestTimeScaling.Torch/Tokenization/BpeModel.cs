using System.Collections.Concurrent;
using System.Text;
using Microsoft.ML.Tokenizers;

namespace TestTimeScaling.Torch;

/// <summary>
/// The BPE model of a tokenizer.json with Hugging Face's exact semantics: each piece starts as its characters
/// (code points), unknown characters become <c>&lt;0xNN&gt;</c> byte tokens (<c>byte_fallback</c>) or the
/// <c>unk_token</c> (fused when <c>fuse_unk</c>), then the adjacent pair of lowest merge rank is merged, leftmost
/// first, until no pair has a merge. With <c>ignore_merges</c> a piece that is a vocabulary entry is taken whole.
/// For plain byte-level BPE (no byte fallback, no unk_token, no subword affixes) the merging itself is
/// Microsoft.ML.Tokenizers' <see cref="BpeTokenizer"/>, which implements the same algorithm; the rest is here.
/// </summary>
internal sealed class BpeModel
{
    private const int CacheCapacity = 10_000;

    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<long, (int Rank, int NewId)> _merges;
    private readonly int? _unkId;
    private readonly bool _fuseUnk;
    private readonly bool _ignoreMerges;
    private readonly string? _prefix;
    private readonly string? _suffix;
    private readonly int[]? _byteTokens;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly BpeTokenizer? _library;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _vocabBySpan;

    /// <summary>Builds the model; the vocabulary and merges were checked by the reader.</summary>
    public BpeModel(Dictionary<string, int> vocab, Dictionary<long, (int Rank, int NewId)> merges, int? unkId, bool fuseUnk,
        bool byteFallback, bool ignoreMerges, string? continuingSubwordPrefix, string? endOfWordSuffix,
        IReadOnlyList<(string Left, string Right)>? rankedMerges = null)
    {
        _vocab = vocab;
        _merges = merges;
        _unkId = unkId;
        _fuseUnk = fuseUnk;
        _ignoreMerges = ignoreMerges;
        _prefix = string.IsNullOrEmpty(continuingSubwordPrefix) ? null : continuingSubwordPrefix;
        _suffix = string.IsNullOrEmpty(endOfWordSuffix) ? null : endOfWordSuffix;
        if (byteFallback)
        {
            // All 256 byte tokens or none: a character falls back only when every one of its bytes has a token.
            _byteTokens = new int[256];
            for (int b = 0; b < 256; b++) _byteTokens[b] = vocab.TryGetValue($"<0x{b:X2}>", out int id) ? id : -1;
        }
        _vocabBySpan = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        if (rankedMerges is not null && !byteFallback && unkId is null && _prefix is null && _suffix is null)
            _library = CreateLibraryBpe(vocab, rankedMerges, merges.Count);
    }

    /// <summary>Whether merging runs in Microsoft.ML.Tokenizers (for docs and tests).</summary>
    public bool UsesLibraryMerges => _library is not null;

    // Microsoft.ML.Tokenizers takes merges as "left right" strings, so a token with a space, or a pair listed
    // twice (Hugging Face keeps its last rank), stays with the merging here.
    private static BpeTokenizer? CreateLibraryBpe(Dictionary<string, int> vocab, IReadOnlyList<(string Left, string Right)> merges, int distinctPairs)
    {
        if (merges.Count != distinctPairs || merges.Any(m => m.Left.Contains(' ') || m.Right.Contains(' ')) || vocab.Keys.Any(k => k.Contains(' ')))
            return null;
        try
        {
            return BpeTokenizer.Create(new BpeOptions(vocab) { Merges = merges.Select(m => m.Left + " " + m.Right), ByteLevel = false });
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            return null;
        }
    }

    /// <summary>The key of a merge pair in the merge table.</summary>
    public static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    /// <summary>
    /// Appends the ids of <paramref name="piece"/>. Returns the first character that has no token (no byte
    /// fallback, no unk_token): Hugging Face drops it silently, the caller decides.
    /// </summary>
    public string? Tokenize(string piece, List<int> ids)
    {
        if (piece.Length == 0) return null;
        if (_ignoreMerges && _vocab.TryGetValue(piece, out int whole))
        {
            ids.Add(whole);
            return null;
        }
        if (_library is not null && AllCharactersKnown(piece))
        {
            ids.AddRange(_library.EncodeToIds(piece, considerPreTokenization: false, considerNormalization: false));
            return null;
        }
        if (_cache.TryGetValue(piece, out int[]? cached))
        {
            ids.AddRange(cached);
            return null;
        }
        var symbols = new List<int>(piece.Length);
        string? missing = InitialSymbols(piece, symbols);
        MergeAll(symbols);
        if (missing is null && _cache.Count < CacheCapacity) _cache.TryAdd(piece, [.. symbols]);
        ids.AddRange(symbols);
        return missing;
    }

    private bool AllCharactersKnown(string piece)
    {
        for (int i = 0; i < piece.Length; i++)
        {
            if (char.IsSurrogate(piece[i]) || !_vocabBySpan.ContainsKey(piece.AsSpan(i, 1))) return false;
        }
        return true;
    }

    private string? InitialSymbols(string word, List<int> symbols)
    {
        string? missing = null;
        bool pendingUnk = false;
        for (int i = 0; i < word.Length;)
        {
            int width = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            string c = word.Substring(i, width);
            bool first = i == 0, last = i + width == word.Length;
            i += width;
            string key = (first || _prefix is null ? c : _prefix + c) + (last && _suffix is not null ? _suffix : "");
            if (_vocab.TryGetValue(key, out int id))
            {
                if (pendingUnk) { symbols.Add(_unkId!.Value); pendingUnk = false; }
                symbols.Add(id);
                continue;
            }
            if (_byteTokens is not null)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(key);
                if (bytes.All(b => _byteTokens[b] >= 0))
                {
                    if (pendingUnk) { symbols.Add(_unkId!.Value); pendingUnk = false; }
                    foreach (byte b in bytes) symbols.Add(_byteTokens[b]);
                    continue;
                }
            }
            if (_unkId is { } unk)
            {
                if (pendingUnk && !_fuseUnk) symbols.Add(unk);
                pendingUnk = true;
            }
            else
            {
                missing ??= c;
            }
        }
        if (pendingUnk) symbols.Add(_unkId!.Value);
        return missing;
    }

    // Hugging Face's Word::merge_all: a queue of candidate merges ordered by (rank, position); a popped
    // candidate is applied only if its pair is still there, and the merge creates two new candidates.
    private void MergeAll(List<int> symbols)
    {
        int n = symbols.Count;
        if (n < 2 || _merges.Count == 0) return;
        int[] id = [.. symbols];
        int[] next = new int[n], prev = new int[n];
        bool[] alive = new bool[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; alive[i] = true; }
        var queue = new PriorityQueue<(int Pos, int NewId), long>();
        void Push(int pos)
        {
            if (pos < 0 || next[pos] < 0) return;
            if (_merges.TryGetValue(PairKey(id[pos], id[next[pos]]), out var merge))
                queue.Enqueue((pos, merge.NewId), ((long)merge.Rank << 32) | (uint)pos);
        }
        for (int i = 0; i < n - 1; i++) Push(i);
        while (queue.TryDequeue(out var candidate, out _))
        {
            int pos = candidate.Pos;
            if (!alive[pos] || next[pos] < 0) continue;
            int right = next[pos];
            if (!_merges.TryGetValue(PairKey(id[pos], id[right]), out var merge) || merge.NewId != candidate.NewId) continue;
            id[pos] = merge.NewId;
            alive[right] = false;
            next[pos] = next[right];
            if (next[right] >= 0) prev[next[right]] = pos;
            Push(prev[pos]);
            Push(pos);
        }
        symbols.Clear();
        for (int i = 0; i >= 0 && i < n; i = next[i]) symbols.Add(id[i]);
    }
}
