using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Tests.Arithmetic;

public sealed class SolutionWriterTests
{
    [Fact]
    public void WritesOneLinePerOperationThenTheAnswer()
    {
        ArithmeticProblem problem = ArithmeticProblem.Parse("Q: 17 +8 *3 -12\n");
        Assert.Equal("17+8=25\n25*3=75\n75-12=63\nA: 63\n", SolutionWriter.Write(problem));
    }

    [Fact]
    public void WritesDivisionWithASlash()
    {
        ArithmeticProblem problem = ArithmeticProblem.Parse("Q: 96 /8 +5\n");
        Assert.Equal("96/8=12\n12+5=17\nA: 17\n", SolutionWriter.Write(problem));
    }

    [Fact]
    public void GoldSolutionsUseOnlyTheAlphabet()
    {
        foreach (ArithmeticProblem problem in ProblemGenerator.GenerateMixed(300, seed: 8))
        {
            string text = problem.Prompt + SolutionWriter.Write(problem);
            Assert.All(text, c => Assert.Contains(c, ArithmeticFormat.Alphabet));
        }
    }

    [Fact]
    public void GoldSolutionsEndWithTheAnswerLine()
    {
        foreach (ArithmeticProblem problem in ProblemGenerator.GenerateMixed(100, seed: 8))
        {
            string solution = SolutionWriter.Write(problem);
            Assert.EndsWith($"\nA: {problem.Answer}\n", solution);
            Assert.Equal(problem.Operations.Count + 1, solution.Count(c => c == '\n'));
        }
    }
}
