using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Tests.Arithmetic;

public sealed class ArithmeticProblemTests
{
    private static readonly ArithmeticProblem Example = new(
        17,
        [new(ArithmeticOperator.Add, 8), new(ArithmeticOperator.Multiply, 3), new(ArithmeticOperator.Subtract, 12)],
        level: 2,
        id: "example");

    [Fact]
    public void PromptAndAnswerFollowTheFormat()
    {
        Assert.Equal("Q: 17 +8 *3 -12\n", Example.Prompt);
        Assert.Equal(63, Example.Answer);
        Assert.Equal("63", Example.AnswerText);
        Assert.Equal([25, 75, 63], Example.IntermediateValues());
    }

    [Fact]
    public void ToProblemCarriesPromptIdAndReferenceAnswer()
    {
        Problem problem = Example.ToProblem();

        Assert.Equal("Q: 17 +8 *3 -12\n", problem.Prompt);
        Assert.Equal("example", problem.Id);
        Assert.Equal("63", problem.ReferenceAnswer);
    }

    [Fact]
    public void ParseRoundTripsGeneratedPrompts()
    {
        foreach (ArithmeticProblem problem in ProblemGenerator.GenerateMixed(200, seed: 4))
        {
            ArithmeticProblem parsed = ArithmeticProblem.Parse(problem.Prompt);
            Assert.Equal(problem.Prompt, parsed.Prompt);
            Assert.Equal(problem.Answer, parsed.Answer);
            Assert.Equal(problem.Operations, parsed.Operations);
        }
    }

    [Fact]
    public void ParseToleratesSpacingAndAMissingNewline()
    {
        ArithmeticProblem parsed = ArithmeticProblem.Parse("Q:17  +8 *3 -12");
        Assert.Equal(Example.Prompt, parsed.Prompt);
    }

    [Theory]
    [InlineData("")]
    [InlineData("17 +8")]
    [InlineData("Q: 17")]
    [InlineData("Q: 17 %8")]
    [InlineData("Q: 17 +x")]
    [InlineData("Q: 17 /2")]
    [InlineData("Q: 5 -9")]
    [InlineData("Q: 900 *9")]
    public void ParseRejectsWhatIsNotAValidProblem(string prompt)
    {
        Assert.False(ArithmeticProblem.TryParse(prompt, out _));
        Assert.Throws<FormatException>(() => ArithmeticProblem.Parse(prompt));
    }

    [Fact]
    public void InvalidProblemsAreRejectedByName()
    {
        Assert.Equal("operations", Assert.Throws<ArgumentException>(() => new ArithmeticProblem(5, [])).ParamName);
        Assert.Equal("operations", Assert.Throws<ArgumentException>(() => new ArithmeticProblem(5, [new(ArithmeticOperator.Divide, 2)])).ParamName);
        Assert.Equal("start", Assert.Throws<ArgumentException>(() => new ArithmeticProblem(1000, [new(ArithmeticOperator.Add, 2)])).ParamName);
    }

    [Fact]
    public void EqualityComparesContentNotListReferences()
    {
        var copy = new ArithmeticProblem(17, Example.Operations.ToList(), level: 2, id: "example");

        Assert.Equal(Example, copy);
        Assert.Equal(Example.GetHashCode(), copy.GetHashCode());
        Assert.NotEqual(Example, new ArithmeticProblem(17, Example.Operations, level: 2, id: "other"));
    }
}
