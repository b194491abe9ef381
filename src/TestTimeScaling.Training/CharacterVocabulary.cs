using TestTimeScaling.Torch;

namespace TestTimeScaling.Training;

/// <summary>
/// A character-level vocabulary: three special tokens (pad, BOS, EOS) then one token per character.
/// Arithmetic is learned far more easily one digit per token than with multi-digit BPE pieces.
/// </summary>
public sealed class CharacterVocabulary : ITextTokenizer
{
    /// <summary>Padding token text.</summary>
    public const string Pad = "<pad>";
    /// <summary>Beginning-of-sequence token text.</summary>
    public const string Bos = "<s>";
    /// <summary>End-of-sequence token text.</summary>
    public const string Eos = "</s>";

    private readonly Dictionary<char, int> _ids;

    /// <summary>Creates the vocabulary for the given characters (order fixes the ids).</summary>
    public CharacterVocabulary(string alphabet)
    {
        ArgumentException.ThrowIfNullOrEmpty(alphabet);
        if (alphabet.Distinct().Count() != alphabet.Length)
            throw new ArgumentException("The alphabet must not repeat characters.", nameof(alphabet));
        Alphabet = alphabet;
        _ids = alphabet.Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i + 3);
    }

    /// <summary>The characters, in id order starting at 3.</summary>
    public string Alphabet { get; }

    /// <summary>Number of tokens.</summary>
    public int VocabSize => Alphabet.Length + 3;

    /// <summary>Id of the padding token.</summary>
    public int PadTokenId => 0;

    /// <inheritdoc />
    public bool AddBosToken => true;

    /// <inheritdoc />
    public int? BosTokenId => 1;

    /// <summary>Id of the end-of-sequence token.</summary>
    public int EosTokenId => 2;

    /// <inheritdoc />
    public IReadOnlyList<int> EosTokenIds => [EosTokenId];

    /// <inheritdoc />
    public IReadOnlyList<int> Encode(string text)
    {
        var ids = new int[text.Length];
        for (int i = 0; i < text.Length; i++)
            ids[i] = _ids.TryGetValue(text[i], out int id) ? id
                : throw new ArgumentException($"Character '{text[i]}' (U+{(int)text[i]:X4}) is not in the vocabulary.", nameof(text));
        return ids;
    }

    /// <inheritdoc />
    public string Decode(IEnumerable<int> ids) =>
        new(ids.Where(id => id >= 3 && id < VocabSize).Select(id => Alphabet[id - 3]).ToArray());

    /// <summary>Token strings in id order, for writing a tokenizer file.</summary>
    public IReadOnlyList<string> Tokens => [Pad, Bos, Eos, .. Alphabet.Select(c => c.ToString())];
}
