using TestTimeScaling.Torch;
using Microsoft.ML.Tokenizers;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary>
/// GPT-2 written as Hugging Face tokenizer files and loaded back, twice: with the pattern as an explicit
/// Split pre-tokenizer (the Llama 3 / Qwen2 layout) and as ByteLevel's built-in pattern (GPT-2's layout);
/// plus tiktoken's GPT-2 as the reference. Built once for the test class: deriving 50,000 merges is the slow part.
/// </summary>
public sealed class Gpt2TokenizerFixture : IDisposable
{
    public const string SplitPattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";
    public const string EndOfText = "<|endoftext|>";
    public const string Extra = "<|extra|>";

    private readonly TempDirectory _directory = new();

    public Gpt2TokenizerFixture()
    {
        Reference = TiktokenTokenizer.CreateForModel("gpt2");
        var (vocab, merges) = Gpt2Vocabulary.Build();
        MergeCount = merges.Count;

        string split = _directory.Sub("split");
        HfTokenizer.WriteByteLevelBpe(split, vocab, merges, [EndOfText, Extra], bos: EndOfText, eos: EndOfText, pad: null, splitRegex: SplitPattern);
        WithSplit = HfTokenizer.Load(split);

        string byteLevel = _directory.Sub("bytelevel");
        HfTokenizer.WriteByteLevelBpe(byteLevel, vocab, merges, [EndOfText, Extra], bos: null, eos: EndOfText, pad: Extra);
        WithByteLevelPattern = HfTokenizer.Load(byteLevel);
        ByteLevelDirectory = byteLevel;
    }

    public TiktokenTokenizer Reference { get; }
    public HfTokenizer WithSplit { get; }
    public HfTokenizer WithByteLevelPattern { get; }
    public string ByteLevelDirectory { get; }
    public int MergeCount { get; }

    public void Dispose() => _directory.Dispose();
}
