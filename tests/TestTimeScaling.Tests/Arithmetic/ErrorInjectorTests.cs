using System.Text.RegularExpressions;
using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Tests.Arithmetic;

public sealed partial class ErrorInjectorTests
{
    [Fact]
    public void OnlyTheCorruptedStepAndLaterAreWrong()
    {
        var random = new SeededRandom(1);
        foreach (ArithmeticProblem problem in ProblemGenerator.GenerateMixed(500, seed: 21))
        {
            string gold = SolutionWriter.Write(problem);
            CorruptedSolution corrupted = ErrorInjector.Corrupt(problem, gold, random);
            var labels = StepLabeler.Label(problem, corrupted.Text);

            int steps = problem.Operations.Count + 1;
            Assert.Equal(steps, labels.Count);
            Assert.InRange(corrupted.FirstWrongStep, 0, steps - 1);
            for (int i = 0; i < steps; i++)
                Assert.Equal(i < corrupted.FirstWrongStep, labels[i]);
            Assert.NotEqual(problem.AnswerText, ArithmeticAnswerExtractor.Instance.Extract(corrupted.Text));
        }
    }

    [Fact]
    public void LaterLinesCarryOnConsistentlyFromTheWrongValue()
    {
        var random = new SeededRandom(2);
        foreach (ArithmeticProblem problem in ProblemGenerator.GenerateMixed(300, seed: 22))
        {
            CorruptedSolution corrupted = ErrorInjector.Corrupt(problem, SolutionWriter.Write(problem), random);
            var steps = StepLabeler.SplitSteps(corrupted.Text);
            Assert.Equal(problem.Operations.Count + 1, steps.Count);

            int running = problem.Start;
            for (int i = 0; i < problem.Operations.Count; i++)
            {
                Match line = StepPattern().Match(steps[i]);
                Assert.True(line.Success, steps[i]);
                int left = int.Parse(line.Groups[1].Value), operand = int.Parse(line.Groups[3].Value), result = int.Parse(line.Groups[4].Value);
                var written = new ArithmeticOperation(ArithmeticOperation.FromSymbol(line.Groups[2].Value[0])!.Value, operand);

                // Every line chains from the line before; only the corrupted line may miscopy, differ from the problem or slip.
                if (i != corrupted.FirstWrongStep)
                {
                    Assert.Equal(running, left);
                    Assert.Equal(problem.Operations[i], written);
                    Assert.Equal(written.TryApply(left), result);
                }
                running = result;
            }
            if (corrupted.FirstWrongStep < problem.Operations.Count)
                Assert.Equal($"A: {running}", steps[^1]);
        }
    }

    [Fact]
    public void MakesEveryKindOfMistake()
    {
        var random = new SeededRandom(6);
        ArithmeticProblem problem = ArithmeticProblem.Parse("Q: 17 +8 *3 -12\n");
        var kinds = new HashSet<string>();
        for (int n = 0; n < 300; n++)
        {
            CorruptedSolution corrupted = ErrorInjector.Corrupt(problem, SolutionWriter.Write(problem), random);
            if (corrupted.FirstWrongStep == problem.Operations.Count) { kinds.Add("answer"); continue; }
            Match line = StepPattern().Match(StepLabeler.SplitSteps(corrupted.Text)[corrupted.FirstWrongStep]);
            int left = int.Parse(line.Groups[1].Value), operand = int.Parse(line.Groups[3].Value);
            int expectedLeft = corrupted.FirstWrongStep == 0 ? problem.Start : problem.IntermediateValues()[corrupted.FirstWrongStep - 1];
            kinds.Add(left != expectedLeft ? "left" : operand != problem.Operations[corrupted.FirstWrongStep].Operand ? "operand" : "result");
        }

        Assert.Equal(["answer", "left", "operand", "result"], kinds.Order());
    }

    [Fact]
    public void EveryStepCanBeChosen()
    {
        var random = new SeededRandom(3);
        ArithmeticProblem problem = ArithmeticProblem.Parse("Q: 17 +8 *3 -12\n");
        string gold = SolutionWriter.Write(problem);
        var chosen = Enumerable.Range(0, 200).Select(_ => ErrorInjector.Corrupt(problem, gold, random).FirstWrongStep).ToHashSet();

        Assert.Equal([0, 1, 2, 3], chosen.Order());
    }

    [Fact]
    public void IsDeterministicForASeed()
    {
        ArithmeticProblem problem = ProblemGenerator.Generate(1, seed: 5, level: 5)[0];
        string gold = SolutionWriter.Write(problem);

        Assert.Equal(
            ErrorInjector.Corrupt(problem, gold, new SeededRandom(7)),
            ErrorInjector.Corrupt(problem, gold, new SeededRandom(7)));
    }

    [Fact]
    public void KeepsTheCorrectPrefixOfAPartlyWrongSolution()
    {
        ArithmeticProblem problem = ArithmeticProblem.Parse("Q: 17 +8 *3 -12\n");
        const string partlyWrong = "17+8=25\n25*3=76\n76-12=64\nA: 64\n";
        var random = new SeededRandom(4);
        for (int i = 0; i < 50; i++)
        {
            CorruptedSolution corrupted = ErrorInjector.Corrupt(problem, partlyWrong, random);
            Assert.InRange(corrupted.FirstWrongStep, 0, 1);
            Assert.Equal(corrupted.FirstWrongStep, StepLabeler.FirstWrongStep(StepLabeler.Label(problem, corrupted.Text)));
            Assert.Equal(4, StepLabeler.SplitSteps(corrupted.Text).Count);
        }
    }

    [GeneratedRegex(@"^([0-9]+)([-+*/])([0-9]+)=([0-9]+)$")]
    private static partial Regex StepPattern();
}
