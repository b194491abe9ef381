namespace TestTimeScaling.Torch.Tests.Tokenization;

/// <summary>
/// Ids and decodings against Hugging Face's own tokenizers (tokenizers.js, run by Fixtures/generate.mjs) on real
/// tokenizer.json files of nine families and a corpus of prose in many scripts, code, numbers, whitespace runs,
/// CJK, emoji sequences, astral symbols, combining marks and special tokens inside text.
/// </summary>
public sealed class HfTokenizerReferenceTests
{
    public static TheoryData<string> Families => new(ReferenceTokenizers.Families);

    [Theory]
    [MemberData(nameof(Families))]
    public void IdsAndDecodingEqualHuggingFace(string family)
    {
        HfTokenizer? tokenizer = ReferenceTokenizers.Load(family);
        if (tokenizer is null)
        {
            // Not committed (too large): present only after `npm ci` in Fixtures/.
            Assert.DoesNotContain(family, ReferenceTokenizers.Committed);
            return;
        }
        var failures = new List<string>();
        foreach (ReferenceCase c in ReferenceTokenizers.Cases(family))
        {
            var ids = tokenizer.Encode(c.Text);
            if (!ids.SequenceEqual(c.Ids))
                failures.Add($"ids of {Show(c.Text)}: expected [{string.Join(",", c.Ids)}] got [{string.Join(",", ids)}]");
            var withSpecial = tokenizer.EncodeWithSpecialTokens(c.Text);
            if (!withSpecial.SequenceEqual(c.IdsWithSpecialTokens))
                failures.Add($"ids with special tokens of {Show(c.Text)}: expected [{string.Join(",", c.IdsWithSpecialTokens)}] got [{string.Join(",", withSpecial)}]");
            string decoded = tokenizer.Decode(c.Ids);
            if (decoded != c.Decoded) failures.Add($"decoding of {Show(c.Text)}: expected {Show(c.Decoded)} got {Show(decoded)}");
        }
        Assert.True(failures.Count == 0, $"{family}: {failures.Count} differences\n" + string.Join("\n", failures.Take(20)));
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void DecodeInvertsEncodeUpToNormalization(string family)
    {
        HfTokenizer? tokenizer = ReferenceTokenizers.Load(family);
        if (tokenizer is null) return;
        foreach (ReferenceCase c in ReferenceTokenizers.Cases(family))
        {
            // Text without special tokens or "▁" (which SentencePiece-style decoders turn into spaces) comes back exactly,
            // up to Qwen's NFC normalization.
            if (c.Text.Contains('<') || c.Text.Contains('▁')) continue;
            string expected = family == "qwen3" ? c.Text.Normalize(System.Text.NormalizationForm.FormC) : c.Text;
            string decoded = tokenizer.Decode(tokenizer.Encode(c.Text));
            Assert.True(expected == decoded, $"{family}: {Show(c.Text)} decoded to {Show(decoded)}");
            Assert.DoesNotContain('\uFFFD', decoded);
        }
    }

    [Fact]
    public void ByteLevelFilesMergeInMicrosoftMlTokenizers()
    {
        Assert.True(ReferenceTokenizers.Load("gpt4o")!.UsesLibraryMerges);
        Assert.True(ReferenceTokenizers.Load("deepseek_v3")!.UsesLibraryMerges);
        // Byte fallback: the merging is this project's own.
        Assert.False(ReferenceTokenizers.Load("llama2")!.UsesLibraryMerges);
    }

    [Fact]
    public void AtLeastThreeFamiliesAreCommitted()
    {
        foreach (string family in ReferenceTokenizers.Committed)
            Assert.NotNull(ReferenceTokenizers.Directory(family));
    }

    private static string Show(string text) => System.Text.Json.JsonSerializer.Serialize(text);
}
