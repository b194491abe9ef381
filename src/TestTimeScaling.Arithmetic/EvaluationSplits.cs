using System.Globalization;

namespace TestTimeScaling.Arithmetic;

/// <summary>
/// The task's fixed evaluation problems, disjoint from all training data: <see cref="ProblemGenerator"/> never
/// yields a prompt of either split. Both are pure functions of <see cref="SplitVersion"/> and fixed seeds, so every
/// run, machine and .NET version scores on the same problems.
/// </summary>
/// <remarks>Bump <see cref="SplitVersion"/> whenever the generator or the seeds change what the splits hold;
/// results under different versions are not comparable.</remarks>
public static class EvaluationSplits
{
    /// <summary>The version of the split definitions; part of every split problem's id.</summary>
    public const int SplitVersion = 1;

    /// <summary>Problems per level in <see cref="HeldOut"/>.</summary>
    public const int HeldOutPerLevel = 100;

    /// <summary>Problems per level in <see cref="Dev"/>.</summary>
    public const int DevPerLevel = 50;

    // Seeds of the splits' streams (one per level: seed * 64 + level). Training seeds are ints and these streams'
    // seeds are beyond int range, though disjointness rests on the prompt filter, not on that.
    internal const long HeldOutSeed = 0x7E57_0001;
    internal const long DevSeed = 0x7E57_0002;

    // Static initializers run in textual order: Dev is built after HeldOut because it excludes HeldOut's prompts.
    private static readonly HashSet<string> HeldOutPrompts = new(StringComparer.Ordinal);
    private static readonly ArithmeticProblem[] HeldOutProblems = Build("heldout", HeldOutSeed, HeldOutPerLevel, HeldOutPrompts, exclude: null);
    private static readonly HashSet<string> DevPrompts = new(StringComparer.Ordinal);
    private static readonly ArithmeticProblem[] DevProblems = Build("dev", DevSeed, DevPerLevel, DevPrompts, exclude: HeldOutPrompts);

    /// <summary>
    /// The held-out test split: 500 distinct problems, 100 per level from 1 to 5, in level order, for final
    /// reported numbers only (never for tuning).
    /// </summary>
    public static IReadOnlyList<ArithmeticProblem> HeldOut => HeldOutProblems;

    /// <summary>
    /// The development split: 250 distinct problems, 50 per level from 1 to 5, disjoint from <see cref="HeldOut"/>,
    /// for choosing checkpoints and settings.
    /// </summary>
    public static IReadOnlyList<ArithmeticProblem> Dev => DevProblems;

    /// <summary>Whether <paramref name="prompt"/> is the exact prompt of a <see cref="HeldOut"/> problem.</summary>
    public static bool IsHeldOut(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return HeldOutPrompts.Contains(prompt);
    }

    /// <summary>Whether <paramref name="prompt"/> is the exact prompt of a <see cref="Dev"/> problem.</summary>
    public static bool IsDev(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return DevPrompts.Contains(prompt);
    }

    /// <summary>Whether <paramref name="prompt"/> belongs to any evaluation split (and so must never be trained on).</summary>
    public static bool IsEvaluation(string prompt) => IsHeldOut(prompt) || IsDev(prompt);

    /// <summary>The problems of one level of <paramref name="split"/> (<see cref="HeldOut"/> or <see cref="Dev"/>).</summary>
    public static IReadOnlyList<ArithmeticProblem> OfLevel(IReadOnlyList<ArithmeticProblem> split, int level)
    {
        ArgumentNullException.ThrowIfNull(split);
        _ = ArithmeticDifficulty.ForLevel(level);
        return [.. split.Where(p => p.Level == level)];
    }

    /// <summary>The seed of one level's stream of a split.</summary>
    internal static long StreamSeed(long splitSeed, int level) => splitSeed * 64 + level;

    private static ArithmeticProblem[] Build(string name, long seed, int perLevel, HashSet<string> prompts, HashSet<string>? exclude)
    {
        var problems = new List<ArithmeticProblem>(perLevel * ArithmeticDifficulty.MaxLevel);
        for (int level = ArithmeticDifficulty.MinLevel; level <= ArithmeticDifficulty.MaxLevel; level++)
        {
            // One stream per level, so changing one level's settings leaves the other levels' problems as they were.
            var random = new SeededRandom(StreamSeed(seed, level));
            ArithmeticDifficulty difficulty = ArithmeticDifficulty.ForLevel(level);
            int made = 0;
            while (made < perLevel)
            {
                string id = string.Create(CultureInfo.InvariantCulture, $"{name}-v{SplitVersion}-L{level}-{made:D3}");
                ArithmeticProblem problem = ProblemGenerator.Next(random, difficulty, id);
                // Distinct within the split, so each problem counts once in accuracy.
                if (exclude?.Contains(problem.Prompt) == true || !prompts.Add(problem.Prompt))
                    continue;
                problems.Add(problem);
                made++;
            }
        }
        return [.. problems];
    }
}
