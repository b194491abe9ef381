using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Tests.Arithmetic;

public sealed class StepLabelerTests
{
    private const string Prompt = "Q: 17 +8 *3 -12\n";
    private static readonly ArithmeticProblem Example = ArithmeticProblem.Parse(Prompt);

    [Fact]
    public void SplitStepsDropsOnlyTheEmptyTail()
    {
        Assert.Equal(["17+8=25", "25*3=75", "A: 75"], StepLabeler.SplitSteps("17+8=25\n25*3=75\nA: 75\n"));
        Assert.Equal(["17+8=25", "25*3="], StepLabeler.SplitSteps("17+8=25\n25*3="));
        Assert.Equal(["17+8=25", "", "A: 25"], StepLabeler.SplitSteps("17+8=25\n\nA: 25\n"));
        Assert.Empty(StepLabeler.SplitSteps(""));
    }

    [Fact]
    public void GoldSolutionsAreCorrectAtEveryStep()
    {
        foreach (ArithmeticProblem problem in ProblemGenerator.GenerateMixed(300, seed: 12))
        {
            string gold = SolutionWriter.Write(problem);
            var labels = StepLabeler.Label(problem, gold);

            Assert.Equal(problem.Operations.Count + 1, labels.Count);
            Assert.All(labels, Assert.True);
            Assert.True(StepLabeler.IsFullyCorrect(problem, gold));
            Assert.Equal(labels, StepLabeler.Label(problem.Prompt, gold));
        }
    }

    [Theory]
    // An arithmetic slip: that step and everything after are wrong, even when the later arithmetic is right.
    [InlineData("17+8=26\n26*3=78\n78-12=66\nA: 66\n", "FFFF")]
    [InlineData("17+8=25\n25*3=76\n76-12=64\nA: 64\n", "TFFF")]
    // The wrong operation or operand, with right arithmetic.
    [InlineData("17+8=25\n25+3=28\n28-12=16\nA: 16\n", "TFFF")]
    [InlineData("17+8=25\n25*4=100\n100-12=88\nA: 88\n", "TFFF")]
    // A left operand that is not the running value.
    [InlineData("17+8=25\n26*3=78\n78-12=66\nA: 66\n", "TFFF")]
    [InlineData("16+8=24\n24*3=72\n72-12=60\nA: 60\n", "FFFF")]
    // Answer line that does not repeat the result, comes too early, or is followed by junk.
    [InlineData("17+8=25\n25*3=75\n75-12=63\nA: 64\n", "TTTF")]
    [InlineData("17+8=25\n25*3=75\nA: 75\n", "TTF")]
    [InlineData("17+8=25\n25*3=75\n75-12=63\nA: 63\n63+1=64\n", "TTTTF")]
    // Unfinished or malformed lines.
    [InlineData("17+8=25\n25*3=", "TF")]
    [InlineData("17+8=25\nblah\n75-12=63\nA: 63\n", "TFFF")]
    // Spacing is tolerated; a partial solution is labelled step by step.
    [InlineData("17 + 8 = 25\n25*3=75\n", "TT")]
    [InlineData("17+8=25\r\n25*3=75\r\n75-12=63\r\nA: 63\r\n", "TTTT")]
    public void LabelsFollowThePrefixRule(string solution, string expected)
    {
        var labels = StepLabeler.Label(Example, solution);
        Assert.Equal(expected, string.Concat(labels.Select(b => b ? 'T' : 'F')));
        Assert.Equal(labels, StepLabeler.Label(Prompt, solution));
    }

    [Fact]
    public void IsFullyCorrectNeedsTheAnswerLine()
    {
        Assert.False(StepLabeler.IsFullyCorrect(Example, "17+8=25\n25*3=75\n75-12=63\n"));
        Assert.True(StepLabeler.IsFullyCorrect(Example, "17+8=25\n25*3=75\n75-12=63\nA: 63"));
    }

    [Fact]
    public void FirstWrongStepIsTheCountWhenAllAreRight()
    {
        Assert.Equal(2, StepLabeler.FirstWrongStep([true, true, false, false]));
        Assert.Equal(3, StepLabeler.FirstWrongStep([true, true, true]));
    }

    [Fact]
    public void APromptOfAnotherTaskIsAFormatError()
    {
        Assert.Throws<FormatException>(() => StepLabeler.Label("What is 2+2?", "A: 4"));
    }
}
