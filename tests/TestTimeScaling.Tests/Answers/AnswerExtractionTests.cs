namespace TestTimeScaling.Tests.Answers;

public class AnswerExtractionTests
{
    [Theory]
    [InlineData("63.0", "63")]
    [InlineData(" +63 ", "63")]
    [InlineData("63.", "63")]
    [InlineData("1,000", "1000")]
    [InlineData("$12.50", "12.5")]
    [InlineData("-0", "0")]
    [InlineData("6.3e1", "63")]
    [InlineData("  x  =   3 ", "x = 3")]
    [InlineData("1,2", "1,2")]
    public void Default_normalization(string raw, string expected) => Assert.Equal(expected, AnswerNormalizer.Normalize(raw));

    [Fact]
    public void Lowercase_is_optional()
    {
        Assert.Equal("Yes", AnswerNormalizer.Normalize(" Yes "));
        Assert.Equal("yes", AnswerNormalizer.Normalize(" Yes ", AnswerNormalization.Default | AnswerNormalization.Lowercase));
        Assert.Null(AnswerNormalizer.Normalize("   "));
    }

    [Fact]
    public void Regex_extractor_takes_the_last_match_and_the_answer_group()
    {
        var e = new RegexAnswerExtractor(@"answer is (?<answer>-?\d+)");
        Assert.Equal("7", e.Extract("the answer is 5, no, the answer is 7.0"));
        Assert.Null(e.Extract("no number here"));
        Assert.Equal("63", RegexAnswerExtractor.FinalAnswerLine.Extract("1 + 2 = 3\nA: 63\n"));
        Assert.Equal("42", RegexAnswerExtractor.Boxed.Extract(@"so \boxed{41} hmm \boxed{42}"));
    }

    [Fact]
    public void Last_line_extractor_needs_its_marker_on_the_last_line()
    {
        var e = LastLineAnswerExtractor.Default;
        Assert.Equal("63", e.Extract("7 + 5 = 12\nA: 63\n\n"));
        Assert.Null(e.Extract("A: 63\n7 + 5 = 12\n"));
        Assert.Null(e.Extract(""));
        Assert.Equal("12", new LastLineAnswerExtractor(null).Extract("x\n 12 \n"));
    }

    [Fact]
    public void Invalid_arguments_are_rejected()
    {
        Assert.ThrowsAny<ArgumentException>(() => new RegexAnswerExtractor("("));
        Assert.Throws<ArgumentException>(() => new LastLineAnswerExtractor(""));
    }
}
