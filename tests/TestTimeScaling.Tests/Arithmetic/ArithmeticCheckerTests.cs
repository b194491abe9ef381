using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Tests.Arithmetic;

public sealed class ArithmeticCheckerTests
{
    private static readonly ArithmeticProblem Example = ArithmeticProblem.Parse("Q: 17 +8 *3 -12\n");
    private readonly ArithmeticChecker _checker = new();

    [Fact]
    public void IsAnOutcomeVerifier() => Assert.Equal(VerifierKind.Outcome, _checker.Kind);

    [Fact]
    public async Task ScoresEveryGoldSolutionOne()
    {
        foreach (ArithmeticProblem problem in ProblemGenerator.GenerateMixed(100, seed: 6))
        {
            var scores = await _checker.ScoreAsync(problem.ToProblem(), [SolutionWriter.Write(problem)]);
            Assert.Equal(1.0, Assert.Single(scores).Value);
        }
    }

    [Fact]
    public async Task ScoresEachSolutionInOrder()
    {
        var scores = await _checker.ScoreAsync(Example.ToProblem(), ["A: 63\n", "A: 62\n", "no answer", "a: +063."]);

        Assert.Equal([1.0, 0.0, 0.0, 1.0], scores.Select(s => s.Value));
        Assert.All(scores, s => Assert.Null(s.StepScores));
    }

    [Fact]
    public void WrongAnswersScoreZeroWithFeedbackThatHidesTheTruth()
    {
        VerifierScore score = _checker.Score(Example.ToProblem(), "17+8=25\n25*3=75\n75-12=62\nA: 62\n");

        Assert.Equal(0.0, score.Value);
        Assert.Contains("Wrong answer", score.Feedback);
        Assert.Contains("62", score.Feedback);
        Assert.DoesNotContain("63", score.Feedback);
    }

    [Fact]
    public void MissingAnswersScoreZeroWithFeedback()
    {
        VerifierScore score = _checker.Score(Example.ToProblem(), "17+8=25\n25*3=75\n");

        Assert.Equal(0.0, score.Value);
        Assert.Contains("No final answer", score.Feedback);
    }

    [Fact]
    public void TheReferenceAnswerIsNormalizedToo()
    {
        var problem = new Problem(Example.Prompt, ReferenceAnswer: " +063 ");
        Assert.Equal(1.0, _checker.Score(problem, "A: 63").Value);
    }

    [Fact]
    public async Task ProblemsWithoutAnIntegerReferenceAnswerAreRejectedByName()
    {
        var missing = await Assert.ThrowsAsync<ArgumentException>(() => _checker.ScoreAsync(new Problem("Q: 1 +1\n"), ["A: 2"]));
        Assert.Equal("problem", missing.ParamName);
        Assert.Contains("ReferenceAnswer", missing.Message);

        var notInteger = Assert.Throws<ArgumentException>(() => _checker.Score(new Problem("Q: 1 +1\n", ReferenceAnswer: "two"), "A: 2"));
        Assert.Equal("problem", notInteger.ParamName);
    }

    [Fact]
    public async Task HonoursCancellation()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _checker.ScoreAsync(Example.ToProblem(), ["A: 63"], cts.Token));
    }

    [Fact]
    public void UsesACustomExtractorWhenGiven()
    {
        var checker = new ArithmeticChecker(new FirstWordExtractor());
        Assert.Equal(1.0, checker.Score(Example.ToProblem(), "063 is it").Value);
    }

    private sealed class FirstWordExtractor : IAnswerExtractor
    {
        public string? Extract(string solution) => solution.Split(' ').FirstOrDefault();
    }
}
