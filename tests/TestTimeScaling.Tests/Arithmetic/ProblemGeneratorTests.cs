using TestTimeScaling.Arithmetic;

namespace TestTimeScaling.Tests.Arithmetic;

public sealed class ProblemGeneratorTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void SameSeedGivesSameProblems(int level)
    {
        var first = ProblemGenerator.Generate(200, seed: 42, level);
        var second = ProblemGenerator.Generate(200, seed: 42, level);

        Assert.Equal(first.Select(p => p.Prompt), second.Select(p => p.Prompt));
        Assert.Equal(first, second);
    }

    [Fact]
    public void DifferentSeedsGiveDifferentProblems()
    {
        var a = ProblemGenerator.Generate(100, seed: 1, level: 3).Select(p => p.Prompt).ToList();
        var b = ProblemGenerator.Generate(100, seed: 2, level: 3).Select(p => p.Prompt).ToList();

        Assert.NotEqual(a, b);
        // Independent draws from a large space rarely coincide.
        Assert.True(a.Intersect(b).Count() < 5);
    }

    [Fact]
    public void ProblemsWithinABatchVary()
    {
        var prompts = ProblemGenerator.Generate(200, seed: 9, level: 4).Select(p => p.Prompt);
        Assert.True(prompts.Distinct().Count() > 190);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    public void ProblemsRespectTheirLevelsBounds(int level)
    {
        ArithmeticDifficulty difficulty = ArithmeticDifficulty.ForLevel(level);
        foreach (ArithmeticProblem problem in ProblemGenerator.Generate(500, seed: level, level))
        {
            Assert.Equal(level, problem.Level);
            Assert.Equal(difficulty.Steps, problem.Operations.Count);
            Assert.InRange(problem.Start, difficulty.MinStart, difficulty.MaxStart);
            Assert.All(problem.IntermediateValues(), v => Assert.InRange(v, 0, difficulty.MaxValue));
            foreach (ArithmeticOperation op in problem.Operations)
            {
                switch (op.Operator)
                {
                    case ArithmeticOperator.Add or ArithmeticOperator.Subtract:
                        Assert.InRange(op.Operand, 1, difficulty.MaxAddend);
                        break;
                    case ArithmeticOperator.Multiply:
                        Assert.InRange(op.Operand, 2, difficulty.MaxMultiplier);
                        break;
                    default:
                        Assert.InRange(op.Operand, 2, difficulty.MaxDivisor);
                        break;
                }
            }
        }
    }

    [Fact]
    public void DifficultyGrowsWithLevel()
    {
        double previousMax = 0, previousLength = 0;
        int previousSteps = 0;
        for (int level = ArithmeticDifficulty.MinLevel; level <= ArithmeticDifficulty.MaxLevel; level++)
        {
            var problems = ProblemGenerator.Generate(400, seed: 5, level);
            int steps = problems[0].Operations.Count;
            double meanMax = problems.Average(p => Math.Max(p.Start, p.IntermediateValues().Max()));
            double meanLength = problems.Average(p => SolutionWriter.Write(p).Length);

            Assert.True(steps > previousSteps, $"level {level}: {steps} steps");
            Assert.True(meanMax > previousMax, $"level {level}: mean largest value {meanMax}");
            Assert.True(meanLength > previousLength, $"level {level}: mean solution length {meanLength}");
            (previousSteps, previousMax, previousLength) = (steps, meanMax, meanLength);
        }
    }

    [Fact]
    public void EveryLevelUsesEveryOperatorItAllows()
    {
        var level1 = ProblemGenerator.Generate(300, seed: 3, level: 1).SelectMany(p => p.Operations).Select(o => o.Operator).ToHashSet();
        var level3 = ProblemGenerator.Generate(300, seed: 3, level: 3).SelectMany(p => p.Operations).Select(o => o.Operator).ToHashSet();

        Assert.Equal([ArithmeticOperator.Add, ArithmeticOperator.Subtract, ArithmeticOperator.Multiply], level1.Order());
        Assert.Equal(Enum.GetValues<ArithmeticOperator>(), level3.Order());
    }

    [Fact]
    public void MixedBatchesCoverTheRequestedLevelsDeterministically()
    {
        var mixed = ProblemGenerator.GenerateMixed(300, seed: 11, minLevel: 2, maxLevel: 4);

        Assert.Equal(300, mixed.Count);
        Assert.Equal([2, 3, 4], mixed.Select(p => p.Level).Distinct().Order());
        Assert.Equal(mixed, ProblemGenerator.GenerateMixed(300, seed: 11, minLevel: 2, maxLevel: 4));
    }

    [Fact]
    public void BadArgumentsAreRejectedByName()
    {
        Assert.Equal("level", Assert.Throws<ArgumentOutOfRangeException>(() => ProblemGenerator.Generate(1, 0, level: 0)).ParamName);
        Assert.Equal("level", Assert.Throws<ArgumentOutOfRangeException>(() => ProblemGenerator.Generate(1, 0, level: 6)).ParamName);
        Assert.Equal("count", Assert.Throws<ArgumentOutOfRangeException>(() => ProblemGenerator.Generate(-1, 0, level: 1)).ParamName);
        Assert.Throws<ArgumentOutOfRangeException>(() => ProblemGenerator.GenerateMixed(1, 0, minLevel: 4, maxLevel: 2));
        var invalid = ArithmeticDifficulty.ForLevel(1) with { MaxAddend = 0 };
        Assert.Equal("difficulty", Assert.Throws<ArgumentException>(() => ProblemGenerator.Generate(1, 0, invalid)).ParamName);
    }

    [Fact]
    public void CustomDifficultyIsHonoured()
    {
        var custom = new ArithmeticDifficulty(Level: 9, Steps: 8, MinStart: 1, MaxStart: 9, MaxValue: 50, MaxAddend: 5, MaxMultiplier: 0, MaxDivisor: 0);
        var problems = ProblemGenerator.Generate(100, seed: 1, custom);

        Assert.All(problems, p =>
        {
            Assert.Equal(8, p.Operations.Count);
            Assert.Equal(9, p.Level);
            Assert.All(p.Operations, o => Assert.True(o.Operator is ArithmeticOperator.Add or ArithmeticOperator.Subtract));
            Assert.All(p.IntermediateValues(), v => Assert.InRange(v, 0, 50));
        });
    }
}
