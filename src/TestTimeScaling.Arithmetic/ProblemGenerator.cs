using System.Globalization;

namespace TestTimeScaling.Arithmetic;

/// <summary>
/// Draws training problems: deterministic for a seed (via <see cref="SeededRandom"/>, stable across .NET versions),
/// and never a problem of an evaluation split (<see cref="EvaluationSplits.IsEvaluation"/>), so a model is
/// never scored on problems it trained on.
/// </summary>
public static class ProblemGenerator
{
    /// <summary>Draws <paramref name="count"/> training problems of one built-in level.</summary>
    /// <param name="count">How many problems; they may repeat, as independent draws do.</param>
    /// <param name="seed">Fixes the sequence.</param>
    /// <param name="level">The difficulty level, <see cref="ArithmeticDifficulty.MinLevel"/>..<see cref="ArithmeticDifficulty.MaxLevel"/>.</param>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="count"/> is negative or <paramref name="level"/> unknown.</exception>
    public static IReadOnlyList<ArithmeticProblem> Generate(int count, int seed, int level) =>
        Generate(count, seed, ArithmeticDifficulty.ForLevel(level));

    /// <summary>Draws <paramref name="count"/> training problems with custom difficulty settings.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="count"/> is negative.</exception>
    /// <exception cref="ArgumentException">When <paramref name="difficulty"/> is invalid.</exception>
    public static IReadOnlyList<ArithmeticProblem> Generate(int count, int seed, ArithmeticDifficulty difficulty)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(difficulty);
        difficulty.Validate(nameof(difficulty));

        var random = new SeededRandom(seed);
        var problems = new ArithmeticProblem[count];
        for (int i = 0; i < count; i++)
            problems[i] = NextTraining(random, difficulty, TrainingId(seed, i));
        return problems;
    }

    /// <summary>Draws <paramref name="count"/> training problems, each at a level drawn uniformly from a range.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="count"/> is negative or the levels are
    /// unknown or reversed.</exception>
    public static IReadOnlyList<ArithmeticProblem> GenerateMixed(
        int count, int seed, int minLevel = ArithmeticDifficulty.MinLevel, int maxLevel = ArithmeticDifficulty.MaxLevel)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        _ = ArithmeticDifficulty.ForLevel(minLevel);
        _ = ArithmeticDifficulty.ForLevel(maxLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minLevel, maxLevel);

        var random = new SeededRandom(seed);
        var problems = new ArithmeticProblem[count];
        for (int i = 0; i < count; i++)
        {
            ArithmeticDifficulty difficulty = ArithmeticDifficulty.ForLevel(random.Next(minLevel, maxLevel + 1));
            problems[i] = NextTraining(random, difficulty, TrainingId(seed, i));
        }
        return problems;
    }

    /// <summary>One problem drawn from <paramref name="random"/>, with no regard to evaluation splits.</summary>
    internal static ArithmeticProblem Next(Random random, ArithmeticDifficulty difficulty, string? id)
    {
        int value = random.Next(difficulty.MinStart, difficulty.MaxStart + 1);
        int start = value;
        var ops = new ArithmeticOperation[difficulty.Steps];
        Span<ArithmeticOperator> feasible = stackalloc ArithmeticOperator[4];
        for (int i = 0; i < ops.Length; i++)
        {
            // Pick uniformly among the operators that can keep the value in range, so a problem never needs a retry.
            int n = 0;
            if (value < difficulty.MaxValue)
                feasible[n++] = ArithmeticOperator.Add;
            if (value >= 1)
                feasible[n++] = ArithmeticOperator.Subtract;
            if (value >= 2 && difficulty.MaxMultiplier >= 2 && value * 2 <= difficulty.MaxValue)
                feasible[n++] = ArithmeticOperator.Multiply;
            if (SmallestDivisor(value, difficulty.MaxDivisor) is not null)
                feasible[n++] = ArithmeticOperator.Divide;

            ArithmeticOperation op = Draw(random, feasible[random.Next(n)], value, difficulty);
            ops[i] = op;
            value = op.TryApply(value)!.Value;
        }
        return new ArithmeticProblem(start, ops, difficulty.Level, id);
    }

    private static ArithmeticProblem NextTraining(Random random, ArithmeticDifficulty difficulty, string id)
    {
        // Rejection keeps the sequence a pure function of the seed; the evaluation splits are a vanishing share of
        // every level's problem space (a few hundred of many thousands), so this rarely loops more than once.
        while (true)
        {
            ArithmeticProblem problem = Next(random, difficulty, id);
            if (!EvaluationSplits.IsEvaluation(problem.Prompt))
                return problem;
        }
    }

    private static ArithmeticOperation Draw(Random random, ArithmeticOperator op, int value, ArithmeticDifficulty difficulty) => op switch
    {
        ArithmeticOperator.Add => new(op, random.Next(1, Math.Min(difficulty.MaxAddend, difficulty.MaxValue - value) + 1)),
        ArithmeticOperator.Subtract => new(op, random.Next(1, Math.Min(difficulty.MaxAddend, value) + 1)),
        ArithmeticOperator.Multiply => new(op, random.Next(2, Math.Min(difficulty.MaxMultiplier, difficulty.MaxValue / value) + 1)),
        _ => DrawDivisor(random, value, difficulty.MaxDivisor),
    };

    private static ArithmeticOperation DrawDivisor(Random random, int value, int maxDivisor)
    {
        // Validation keeps divisors single-digit, so eight slots (2..9) always suffice.
        Span<int> divisors = stackalloc int[8];
        int n = 0;
        for (int d = 2; d <= maxDivisor; d++)
        {
            if (value % d == 0)
                divisors[n++] = d;
        }
        return new(ArithmeticOperator.Divide, divisors[random.Next(n)]);
    }

    // Dividing 0 is exact but teaches nothing, so only positive values are divided.
    private static int? SmallestDivisor(int value, int maxDivisor)
    {
        if (value < 2)
            return null;
        for (int d = 2; d <= maxDivisor; d++)
        {
            if (value % d == 0)
                return d;
        }
        return null;
    }

    private static string TrainingId(int seed, int index) =>
        string.Create(CultureInfo.InvariantCulture, $"train-s{seed}-{index}");
}
