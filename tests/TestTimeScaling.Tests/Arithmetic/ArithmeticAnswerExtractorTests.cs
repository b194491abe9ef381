using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Tests.Arithmetic;

public sealed class ArithmeticAnswerExtractorTests
{
    private readonly ArithmeticAnswerExtractor _extractor = new();

    [Theory]
    [InlineData("A: 63", "63")]
    [InlineData("A: 63\n", "63")]
    [InlineData("a:63.", "63")]
    [InlineData("A:63", "63")]
    [InlineData("  A :   63  ", "63")]
    [InlineData("Answer: +063", "63")]
    [InlineData("ANSWER: 63!", "63")]
    [InlineData("answer = 63", "63")]
    [InlineData("A: = 63", "63")]
    [InlineData("Final answer: 63", "63")]
    [InlineData("**Answer:** 63", "63")]
    [InlineData("A: 1,234", "1234")]
    [InlineData("A: 0", "0")]
    [InlineData("A: 000", "0")]
    [InlineData("A: -5", "-5")]
    [InlineData("A: -0", "0")]
    [InlineData("A: 63\r\n", "63")]
    [InlineData("A: 63, I think", "63")]
    [InlineData("17+8=25\n25*3=75\n75-12=63\nA: 63\n", "63")]
    [InlineData("17+8=25\nA: 25\n25*3=75\nA: 75\n", "75")]
    [InlineData("A: 63\nThat is the result.\n", "63")]
    [InlineData("A: 63\nQ: 5 +3\n", "63")]
    public void ExtractsTheLastAnswerLine(string text, string expected)
    {
        Assert.Equal(expected, _extractor.Extract(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("63")]
    [InlineData("17+8=25\n25*3=75\n")]
    [InlineData("A:")]
    [InlineData("A: ")]
    [InlineData("A: sixty-three")]
    [InlineData("A: x63")]
    [InlineData("A: 6.3")]
    [InlineData("A: 12,34")]
    [InlineData("A: 1,2345")]
    [InlineData("Area: 63")]
    [InlineData("The answer is 63")]
    [InlineData("A 63")]
    [InlineData("A: ٦٣")]
    [InlineData("A: 63\nA: ???\n")]
    public void RejectsTextWithoutAnIntegerAnswer(string text)
    {
        Assert.Null(_extractor.Extract(text));
    }

    [Theory]
    [InlineData("63", "63")]
    [InlineData(" +063. ", "63")]
    [InlineData("1,234", "1234")]
    [InlineData("-0", "0")]
    [InlineData("abc", null)]
    [InlineData("6 3", null)]
    [InlineData(null, null)]
    public void NormalizesStandaloneIntegers(string? value, string? expected)
    {
        Assert.Equal(expected, ArithmeticAnswerExtractor.Normalize(value));
    }

    [Fact]
    public void ExtractsEveryGoldAnswer()
    {
        foreach (ArithmeticProblem problem in ProblemGenerator.GenerateMixed(200, seed: 2))
            Assert.Equal(problem.AnswerText, _extractor.Extract(SolutionWriter.Write(problem)));
    }
}
