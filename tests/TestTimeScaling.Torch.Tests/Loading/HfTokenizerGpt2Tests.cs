using TestTimeScaling.Torch;
using System.Text.Json.Nodes;

namespace TestTimeScaling.Torch.Tests.Loading;

/// <summary>GPT-2 through <see cref="HfTokenizer"/> gives exactly tiktoken's ids.</summary>
public sealed class HfTokenizerGpt2Tests(Gpt2TokenizerFixture gpt2) : IClassFixture<Gpt2TokenizerFixture>
{
    public static TheoryData<string> Texts => new()
    {
        "Hello, world!",
        "The quick brown fox jumps over the lazy dog.",
        "   leading spaces, trailing spaces   ",
        "multiple    inner     spaces and\ttabs\t\there",
        "Numbers: 1234567890, 3.14159, -42, 1e-9, 2024-01-31",
        "Line one\nLine two\n\n\nLine five\r\nWindows line",
        "Unicode: café, naïve, Ελληνικά, русский, 日本語のテキスト, 한국어",
        "Emoji 😀👍🏽 and symbols ∑∫√ → ← ©®™",
        "Contractions: it's they're we've I'm you'll he'd CAN'T",
        "def square(x):\n    return x ** 2  # comment\n",
        "Before<|endoftext|>After",
        "<|endoftext|>",
        "",
        " ",
        "\n",
    };

    [Theory]
    [MemberData(nameof(Texts))]
    public void SplitLayoutMatchesTiktoken(string text)
        => Assert.Equal(gpt2.Reference.EncodeToIds(text), gpt2.WithSplit.Encode(text));

    [Theory]
    [MemberData(nameof(Texts))]
    public void ByteLevelLayoutMatchesTiktoken(string text)
        => Assert.Equal(gpt2.Reference.EncodeToIds(text), gpt2.WithByteLevelPattern.Encode(text));

    [Theory]
    [MemberData(nameof(Texts))]
    public void DecodeInvertsEncode(string text)
        => Assert.Equal(text, gpt2.WithSplit.Decode(gpt2.WithSplit.Encode(text)));

    [Fact]
    public void KnownIdsAndSizes()
    {
        HfTokenizer tokenizer = gpt2.WithSplit;
        Assert.Equal(50_000, gpt2.MergeCount);
        // GPT-2's well-known ids, independent of the reference tokenizer.
        Assert.Equal([15496, 11, 995, 0], tokenizer.Encode("Hello, world!"));
        Assert.Equal(50_258, tokenizer.VocabSize);
        Assert.Equal(50_256, tokenizer.TokenToId(Gpt2TokenizerFixture.EndOfText));
        Assert.Equal(50_257, tokenizer.TokenToId(Gpt2TokenizerFixture.Extra));
        Assert.Equal(262, tokenizer.TokenToId("Ġthe"));
        Assert.Equal("Ġthe", tokenizer.IdToToken(262));
        Assert.Null(tokenizer.TokenToId("not a token"));
        Assert.Equal([Gpt2TokenizerFixture.EndOfText, Gpt2TokenizerFixture.Extra], tokenizer.SpecialTokens);
    }

    [Fact]
    public void SpecialTokensComeFromTokenizerConfig()
    {
        Assert.Equal(50_256, gpt2.WithSplit.BosTokenId);
        Assert.Equal([50_256], gpt2.WithSplit.EosTokenIds);
        Assert.Null(gpt2.WithSplit.PadTokenId);
        Assert.False(gpt2.WithSplit.AddBosToken);

        Assert.Null(gpt2.WithByteLevelPattern.BosTokenId);
        Assert.Equal(50_257, gpt2.WithByteLevelPattern.PadTokenId);
    }

    [Fact]
    public void AddedTokenOutsideTheReferenceIsMatchedWhole()
    {
        HfTokenizer tokenizer = gpt2.WithSplit;
        const string text = "left<|extra|> right<|extra|><|endoftext|>";

        var ids = tokenizer.Encode(text);

        var expected = new List<int>();
        expected.AddRange(gpt2.Reference.EncodeToIds("left"));
        expected.Add(50_257);
        expected.AddRange(gpt2.Reference.EncodeToIds(" right"));
        expected.AddRange([50_257, 50_256]);
        Assert.Equal(expected, ids);
        Assert.Equal(text, tokenizer.Decode(ids));
        Assert.Equal("left right", tokenizer.Decode(ids, skipSpecialTokens: true));
    }

    [Fact]
    public void BosIsAddedOnlyWhenAsked()
    {
        HfTokenizer tokenizer = gpt2.WithSplit;
        Assert.Equal(50_256, tokenizer.Encode("Hi", addBos: true)[0]);
        Assert.Equal(gpt2.Reference.EncodeToIds("Hi"), tokenizer.Encode("Hi"));
    }

    [Fact]
    public void WrittenFilesAreHuggingFaceShaped()
    {
        var tokenizer = JsonNode.Parse(File.ReadAllText(Path.Combine(gpt2.ByteLevelDirectory, "tokenizer.json")))!;
        Assert.Equal("BPE", tokenizer["model"]!["type"]!.GetValue<string>());
        Assert.Equal("Ġ t", tokenizer["model"]!["merges"]![0]!.GetValue<string>());
        Assert.Equal(262, tokenizer["model"]!["vocab"]!["Ġthe"]!.GetValue<int>());
        Assert.Equal("ByteLevel", tokenizer["pre_tokenizer"]!["type"]!.GetValue<string>());
        Assert.Equal("ByteLevel", tokenizer["decoder"]!["type"]!.GetValue<string>());
        Assert.Equal(Gpt2TokenizerFixture.EndOfText, tokenizer["added_tokens"]![0]!["content"]!.GetValue<string>());
        Assert.True(tokenizer["added_tokens"]![0]!["special"]!.GetValue<bool>());

        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(gpt2.ByteLevelDirectory, "tokenizer_config.json")))!;
        Assert.Equal(Gpt2TokenizerFixture.EndOfText, config["eos_token"]!.GetValue<string>());
        Assert.Equal("PreTrainedTokenizerFast", config["tokenizer_class"]!.GetValue<string>());
    }
}
