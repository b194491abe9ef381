namespace TestTimeScaling.Torch.Tests.Tokenization;

/// <summary>
/// Behaviour where tokenizers.js differs from Hugging Face's Rust library, pinned to the Rust library's own
/// semantics (its unit tests where it has them: split behaviors in normalizer.rs, Metaspace's multiple spaces,
/// Digits, Prepend on empty text, the regex crate's \w for single_word).
/// </summary>
public sealed class HfTokenizerRustSemanticsTests
{
    private static string[] Pieces(PreTokenizer preTokenizer, string text)
        => preTokenizer.Apply([new TextPiece(text, AtStart: true)]).Select(p => p.Text).ToArray();

    [Theory]
    [InlineData("Removed", new[] { "The", "final", "countdown" })]
    [InlineData("Isolated", new[] { "The", "-", "final", "-", "-", "countdown" })]
    [InlineData("MergedWithPrevious", new[] { "The-", "final-", "-", "countdown" })]
    [InlineData("MergedWithNext", new[] { "The", "-final", "-", "-countdown" })]
    [InlineData("Contiguous", new[] { "The", "-", "final", "--", "countdown" })]
    public void SplitBehaviorsAsInTheRustTests(string behavior, string[] expected)
        => Assert.Equal(expected, Pieces(new SplitPreTokenizer(SplitPattern.ForString("-"), Enum.Parse<SplitBehavior>(behavior), invert: false), "The-final--countdown"));

    [Fact]
    public void InvertSwapsDelimitersAndContent()
        => Assert.Equal(["The", "final", "countdown"],
            Pieces(new SplitPreTokenizer(SplitPattern.ForRegex(@"\p{L}+"), SplitBehavior.Removed, invert: true), "The-final--countdown"));

    [Fact]
    public void MetaspaceSplitsBeforeEveryReplacement()
    {
        var always = new MetaspacePreTokenizer("▁", MetaspacePrependScheme.Always, split: true);
        Assert.Equal(["▁Hey", "▁", "▁", "▁friend!"], Pieces(always, "Hey   friend!"));
        var first = new MetaspacePreTokenizer("▁", MetaspacePrependScheme.First, split: true);
        Assert.Equal(["▁a"], first.Apply([new TextPiece("a", AtStart: true)]).Select(p => p.Text));
        Assert.Equal(["a"], first.Apply([new TextPiece("a", AtStart: false)]).Select(p => p.Text));
        var never = new MetaspacePreTokenizer("▁", MetaspacePrependScheme.Never, split: false);
        Assert.Equal(["a▁b"], Pieces(never, "a b"));
    }

    [Fact]
    public void DigitsUseUnicodeNumerics()
    {
        var individual = new CharSplitPreTokenizer(CharSplitPreTokenizer.IsNumeric, SplitBehavior.Isolated);
        Assert.Equal(["Hey ", "1", "2", "3", " friend!"], Pieces(individual, "Hey 123 friend!"));
        Assert.Equal(["x", "𝟏", "𝟐", "½", "Ⅻ"], Pieces(individual, "x𝟏𝟐½Ⅻ"));
        var contiguous = new CharSplitPreTokenizer(CharSplitPreTokenizer.IsNumeric, SplitBehavior.Contiguous);
        Assert.Equal(["Hey ", "123", " friend!"], Pieces(contiguous, "Hey 123 friend!"));
        Assert.Equal(["a ", "١٢٣𝟏"], Pieces(contiguous, "a ١٢٣𝟏"));
    }

    [Fact]
    public void PunctuationIsOneCharacterAtATime()
        => Assert.Equal(["f", "(", "n", ")", ":", " x", "…", "$"],
            Pieces(new CharSplitPreTokenizer(CharSplitPreTokenizer.IsPunctuation, SplitBehavior.Isolated), "f(n): x…$"));

    [Fact]
    public void WhitespaceUsesUnicodeWords()
    {
        var whitespace = new SplitPreTokenizer(SplitPattern.ForRegex(@"\w+|[^\w\s]+"), SplitBehavior.Removed, invert: true);
        Assert.Equal(["Straße", "naïve", "!?", "日本"], Pieces(whitespace, "Straße naïve !? 日本"));
        var split = new CharSplitPreTokenizer(CodePointSet.IsWhiteSpace, SplitBehavior.Removed);
        Assert.Equal(["a\uFEFFb", "c"], Pieces(split, "a\uFEFFb\u3000c"));
    }

    [Fact]
    public void PrependLeavesEmptyTextEmpty()
    {
        var prepend = new PrependNormalizer("▁");
        Assert.Equal("", prepend.Normalize(""));
        Assert.Equal("▁a", prepend.Normalize("a"));
        Assert.Equal("", new SequenceNormalizer([new StripNormalizer(true, true), prepend]).Normalize(" \u3000 "));
    }

    [Fact]
    public void LowercaseIsTheFullMapping()
        => Assert.Equal("i\u0307stanbul ǆ σς", new LowercaseNormalizer().Normalize("İSTANBUL ǅ ΣΣ".Replace("ΣΣ", "Σς")));

    [Fact]
    public void DecodersFollowTheRustChains()
    {
        // Metaspace drops every replacement of the first token.
        Assert.Equal(["a", " b"], new MetaspaceDecoder("▁", MetaspacePrependScheme.Always).DecodeChain(["▁▁a", "▁b"]));
        Assert.Equal([" a"], new MetaspaceDecoder("▁", MetaspacePrependScheme.Never).DecodeChain(["▁a"]));
        // Invalid UTF-8 in a byte run becomes one U+FFFD per byte.
        Assert.Equal(["\uFFFD", "\uFFFD", "x", "é"], new ByteFallbackDecoder().DecodeChain(["<0xE2>", "<0x82>", "x", "<0xC3>", "<0xA9>"]));
        // Strip removes at most start/stop copies, token by token.
        Assert.Equal(["bc", "ab"], new StripDecoder('a', 1, 1).DecodeChain(["abca", "aab"]));
    }

    [Fact]
    public void AddedTokenFlags()
    {
        var fox = new AddedToken(1, "fox", false) { SingleWord = true };
        var tag = new AddedToken(2, "<t>", true) { LeftStrip = true, RightStrip = true };
        var matcher = new AddedTokenMatcher([("fox", fox), ("<t>", tag)]);

        // The regex crate's \w has '_': "_fox" is inside a word, " fox " is not.
        Assert.DoesNotContain(matcher.Split("a_fox"), p => p.Token == fox);
        Assert.Contains(matcher.Split("a fox."), p => p.Token == fox);
        var parts = matcher.Split("x  <t>  y");
        Assert.Equal([(0, 1, (AddedToken?)null), (1, 8, tag), (8, 9, null)], parts);
    }

    [Fact]
    public void BpeMergesByRankLeftmostFirst()
    {
        var vocab = new Dictionary<string, int> { ["a"] = 0, ["b"] = 1, ["ab"] = 2, ["aa"] = 3, ["aab"] = 4 };
        var merges = new Dictionary<long, (int, int)>
        {
            [BpeModel.PairKey(0, 1)] = (0, 2), // a b -> ab first
            [BpeModel.PairKey(0, 0)] = (1, 3),
            [BpeModel.PairKey(3, 1)] = (2, 4),
        };
        var model = new BpeModel(vocab, merges, null, false, false, ignoreMerges: false, null, null);
        var ids = new List<int>();
        model.Tokenize("aab", ids);
        Assert.Equal([0, 2], ids); // "a" + "ab": the rank-0 merge wins though "aab" exists
        ids.Clear();
        model.Tokenize("aaa", ids);
        Assert.Equal([3, 0], ids); // leftmost pair first
        var ignoring = new BpeModel(vocab, merges, null, false, false, ignoreMerges: true, null, null);
        ids.Clear();
        ignoring.Tokenize("aab", ids);
        Assert.Equal([4], ids);
    }

    [Fact]
    public void ByteFallbackAndFusedUnknowns()
    {
        var vocab = new Dictionary<string, int> { ["<unk>"] = 0, ["a"] = 1 };
        for (int b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 2 + b;
        var fallback = new BpeModel(vocab, [], 0, fuseUnk: true, byteFallback: true, ignoreMerges: false, null, null);
        var ids = new List<int>();
        fallback.Tokenize("aé😀", ids);
        Assert.Equal([1, 2 + 0xC3, 2 + 0xA9, 2 + 0xF0, 2 + 0x9F, 2 + 0x98, 2 + 0x80], ids);

        var unk = new BpeModel(new Dictionary<string, int> { ["<unk>"] = 0, ["a"] = 1 }, [], 0, fuseUnk: true, byteFallback: false, ignoreMerges: false, null, null);
        ids.Clear();
        unk.Tokenize("xya😀z", ids);
        Assert.Equal([0, 1, 0], ids);
        var unfused = new BpeModel(new Dictionary<string, int> { ["<unk>"] = 0, ["a"] = 1 }, [], 0, fuseUnk: false, byteFallback: false, ignoreMerges: false, null, null);
        ids.Clear();
        unfused.Tokenize("xya", ids);
        Assert.Equal([0, 0, 1], ids);
    }
}
