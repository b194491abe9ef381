using TestTimeScaling.Torch;

namespace TestTimeScaling.Torch.Tests.Support;

/// <summary>A character-level tokenizer for tests: id 0 is BOS, 1 is EOS, then one id per character of the alphabet.</summary>
internal sealed class CharTokenizer(string alphabet) : ITextTokenizer
{
    public const string DefaultAlphabet = "0123456789+-*=:A \nabcdefghijklmnopqrstuvwxyz";

    public CharTokenizer() : this(DefaultAlphabet) { }

    public int VocabSize => alphabet.Length + 2;
    public bool AddBosToken => true;
    public int? BosTokenId => 0;
    public IReadOnlyList<int> EosTokenIds => [1];

    public IReadOnlyList<int> Encode(string text) => text.Select(c =>
    {
        int i = alphabet.IndexOf(c);
        if (i < 0) throw new ArgumentException($"Character '{c}' is not in the test alphabet.", nameof(text));
        return i + 2;
    }).ToArray();

    public string Decode(IEnumerable<int> ids) =>
        new(ids.Where(id => id >= 2 && id - 2 < alphabet.Length).Select(id => alphabet[id - 2]).ToArray());
}
