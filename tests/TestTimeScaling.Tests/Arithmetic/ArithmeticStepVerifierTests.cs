using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Tests.Arithmetic;

public class ArithmeticStepVerifierTests
{
    private static readonly ArithmeticProblem Task = ArithmeticProblem.Parse("Q: 17 +8 *3 -12\n");
    private static readonly Problem Problem = new(Task.Prompt);

    private static async Task<VerifierScore> Score(string solution) =>
        (await ArithmeticStepVerifier.Instance.ScoreAsync(Problem, [solution]))[0];

    [Fact]
    public async Task AGoldSolutionScoresOneAtEveryStep()
    {
        var score = await Score(SolutionWriter.Write(Task));
        Assert.Equal(Task.Operations.Count + 1, score.StepScores!.Count);
        Assert.All(score.StepScores, s => Assert.Equal(1.0, s));
        Assert.Equal(1.0, score.Value);
    }

    [Fact]
    public async Task TheFirstWrongStepAndEveryLaterOneScoreZero()
    {
        string[] lines = SolutionWriter.Write(Task).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[1] = lines[1][..(lines[1].IndexOf('=') + 1)] + "999";
        var score = await Score(string.Join('\n', lines) + "\n");
        Assert.Equal([1.0, 0.0, 0.0, 0.0], score.StepScores);
        Assert.Equal(0.0, score.Value);
    }

    [Fact]
    public async Task ACorrectPrefixScoresOneSoSearchKeepsIt()
    {
        string first = SolutionWriter.Write(Task).Split('\n')[0] + "\n";
        var score = await Score(first);
        Assert.Equal([1.0], score.StepScores);
        Assert.Equal(1.0, score.Value);
        Assert.Equal(VerifierKind.Process, ArithmeticStepVerifier.Instance.Kind);
    }

    [Fact]
    public async Task TheAnswerLineMustCarryTheResult()
    {
        string gold = SolutionWriter.Write(Task);
        string wrongAnswer = gold[..gold.LastIndexOf("A:", StringComparison.Ordinal)] + "A: 1\n";
        Assert.Equal(0.0, (await Score(wrongAnswer)).Value);
        Assert.Equal(0.0, (await Score("")).Value);
    }

    [Fact]
    public async Task APromptOfAnotherTaskIsRefusedByName()
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => ArithmeticStepVerifier.Instance.ScoreAsync(new Problem("What is 2+2?", Id: "other"), ["4"]));
        Assert.Contains("other", error.Message);
    }
}
