using TestTimeScaling.Torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>Encodes one fixed prompt text to fixed ids (both engines then see identical tokens); no end-of-sequence token.</summary>
internal sealed class PeerTokenizer(IReadOnlyList<int> promptIds) : ITextTokenizer
{
    public const string PromptText = "<peer prompt>";
    public bool AddBosToken => false;
    public int? BosTokenId => null;
    public IReadOnlyList<int> EosTokenIds => [];
    public IReadOnlyList<int> Encode(string text) => text == PromptText ? promptIds : text.Select(c => (int)c).ToArray();
    public string Decode(IEnumerable<int> ids) => string.Concat(ids.Select(i => (char)('a' + i % 26)));
}
