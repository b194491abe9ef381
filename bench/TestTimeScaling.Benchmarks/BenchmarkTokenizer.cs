using TestTimeScaling.Torch;

namespace TestTimeScaling.Benchmarks;

/// <summary>A byte-per-character tokenizer with no end-of-sequence token, so every sample runs to its token limit.</summary>
internal sealed class BenchmarkTokenizer : ITextTokenizer
{
    public bool AddBosToken => true;
    public int? BosTokenId => 0;
    public IReadOnlyList<int> EosTokenIds => [];
    public IReadOnlyList<int> Encode(string text) => text.Select(c => (int)c % 256).ToArray();
    public string Decode(IEnumerable<int> ids) => new(ids.Select(i => (char)Math.Clamp(i, 32, 126)).ToArray());
}
