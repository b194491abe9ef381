using System.Text.RegularExpressions;

namespace TestTimeScaling.Torch.Tests.Tokenization;

/// <summary>The Oniguruma-to-.NET translation matches on code points, astral ones included, with Oniguruma's semantics.</summary>
public sealed class OnigurumaPatternTests
{
    private static string[] Matches(string pattern, string text)
        => OnigurumaPattern.Compile(pattern).Matches(text).Select(m => m.Value).ToArray();

    [Fact]
    public void CategoriesMatchAstralCodePoints()
    {
        Assert.Equal(["𠀀𪚥漢"], Matches(@"\p{L}+", "𠀀𪚥漢"));
        Assert.Equal(["𝟏𝟐𝟑", "𝟒"], Matches(@"\p{N}{1,3}", "𝟏𝟐𝟑𝟒"));
        Assert.Equal(["😀👍🏽"], Matches(@"[^\s\p{L}\p{N}]+", "😀👍🏽"));
        Assert.Equal([" 𝐀𝐁"], Matches(@" ?\p{Lu}+", " 𝐀𝐁"));
        Assert.Equal(["😀", "x"], Matches(@".", "😀x"));
        Assert.Equal(["a😀b"], Matches(@"\S+", "a😀b"));
        // A class never matches half of a surrogate pair.
        Assert.Empty(Matches(@"[^\p{So}]", "😀"));
    }

    [Fact]
    public void WhiteSpaceIsUnicodeWhiteSpace()
    {
        Assert.Equal(["\u0085\u00A0\u3000"], Matches(@"\s+", "a\u0085\u00A0\u3000b"));
        Assert.Empty(Matches(@"\s", "\uFEFF\u200B"));
    }

    [Fact]
    public void CaseInsensitiveGroupsFoldLikeUnicode()
    {
        Assert.Equal(["'S", "'s", "'ſ", "'LL"], Matches(@"(?i:'s|'ll)", "'S 's 'ſ 'LL"));
        Assert.Equal(["AB", "ab"], Matches(@"(?i)[a-b]+", "AB ab"));
        Assert.Equal(["x"], Matches(@"(?i:[^a])", "Ax"));
    }

    [Fact]
    public void QuantifiersAnchorsAndLookarounds()
    {
        // Possessive: a++ takes every a and gives none back.
        Assert.Empty(Matches(@"a++a", "aaa"));
        Assert.Equal(["aaa"], Matches(@"a+a", "aaa"));
        // Ruby syntax: {n,m}+ is a stacked quantifier, not a possessive one.
        Assert.Equal(["aaaa"], Matches(@"a{1,2}+", "aaaa"));
        Assert.Equal([" "], Matches(@"\s+(?!\S)", "  x"));
        Assert.Equal(["b"], Matches(@"^b", "a\nb"));
        Assert.Equal(["a"], Matches(@"a$", "a\nb"));
        Assert.Equal(["x"], Matches(@"(?<=\p{L})x", "x ax"));
        Assert.Equal(["word"], Matches(@"\bword\b", "swordfish word"));
        Assert.Equal(["ab"], Matches(@"[[a-c]&&[^c]]+", "abc"));
        Assert.Equal(["9a"], Matches(@"[[:digit:]][[:alpha:]]", "9a"));
        Assert.Equal(["\u00E9"], Matches(@"\x{E9}", "\u00E9"));
    }

    [Theory]
    [InlineData("(")]
    [InlineData("a)")]
    [InlineData("[abc")]
    [InlineData("*a")]
    [InlineData("a{3,2}")]
    [InlineData("[z-a]")]
    [InlineData(@"\x{110000}")]
    [InlineData(@"[\uD800-\uDFFF]")]
    public void MalformedPatternsAreFormatErrors(string pattern)
        => Assert.Throws<FormatException>(() => OnigurumaPattern.Compile(pattern));

    [Theory]
    [InlineData(@"(a)\1")]
    [InlineData(@"\p{Han}")]
    [InlineData(@"(?x)a")]
    [InlineData(@"\G")]
    [InlineData(@"a{1,999999}")]
    public void UncoveredConstructsAreRefused(string pattern)
        => Assert.Throws<NotSupportedException>(() => OnigurumaPattern.Compile(pattern));

    [Fact]
    public void DeepNestingIsRefusedWithoutOverflowingTheStack()
        => Assert.Throws<NotSupportedException>(() => OnigurumaPattern.Compile(new string('(', 10_000) + new string(')', 10_000)));

    [Fact]
    public void TranslationIsPlainDotNetRegex()
        => Assert.NotNull(new Regex(OnigurumaPattern.Translate(@"(?i:'s|'t)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}")));
}
