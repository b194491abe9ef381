namespace TestTimeScaling.Arithmetic;

/// <summary>
/// The knobs a difficulty level sets. Higher levels ask for more steps over larger numbers, so a small model's
/// accuracy falls with the level and test-time scaling has room to help.
/// </summary>
/// <param name="Level">The level, from <see cref="MinLevel"/> to <see cref="MaxLevel"/>.</param>
/// <param name="Steps">How many operations a problem has (solution lines before the answer line).</param>
/// <param name="MinStart">The smallest start value.</param>
/// <param name="MaxStart">The largest start value.</param>
/// <param name="MaxValue">The largest value any step may produce (below <see cref="ArithmeticFormat.ValueLimit"/>).</param>
/// <param name="MaxAddend">The largest operand of an addition or subtraction.</param>
/// <param name="MaxMultiplier">The largest multiplier, at most 9 (the smallest is 2); below 2, problems never multiply.</param>
/// <param name="MaxDivisor">The largest divisor, at most 9 (the smallest is 2); below 2, problems never divide.</param>
public sealed record ArithmeticDifficulty(
    int Level,
    int Steps,
    int MinStart,
    int MaxStart,
    int MaxValue,
    int MaxAddend,
    int MaxMultiplier,
    int MaxDivisor)
{
    /// <summary>The easiest level.</summary>
    public const int MinLevel = 1;

    /// <summary>The hardest level.</summary>
    public const int MaxLevel = 5;

    // Steps grow by one per level (2..6) and numbers by roughly a factor of two to five, so both the length of
    // the chain a model must keep right and the width of the digits it must carry grow together.
    private static readonly ArithmeticDifficulty[] Levels =
    [
        new(Level: 1, Steps: 2, MinStart: 1, MaxStart: 20, MaxValue: 99, MaxAddend: 9, MaxMultiplier: 3, MaxDivisor: 0),
        new(Level: 2, Steps: 3, MinStart: 1, MaxStart: 50, MaxValue: 199, MaxAddend: 20, MaxMultiplier: 5, MaxDivisor: 2),
        new(Level: 3, Steps: 4, MinStart: 1, MaxStart: 99, MaxValue: 499, MaxAddend: 50, MaxMultiplier: 9, MaxDivisor: 9),
        new(Level: 4, Steps: 5, MinStart: 10, MaxStart: 199, MaxValue: 999, MaxAddend: 99, MaxMultiplier: 9, MaxDivisor: 9),
        new(Level: 5, Steps: 6, MinStart: 10, MaxStart: 499, MaxValue: 999, MaxAddend: 299, MaxMultiplier: 9, MaxDivisor: 9),
    ];

    /// <summary>The settings of a built-in level.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="level"/> is outside
    /// <see cref="MinLevel"/>..<see cref="MaxLevel"/>.</exception>
    public static ArithmeticDifficulty ForLevel(int level)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(level, MinLevel);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(level, MaxLevel);
        return Levels[level - MinLevel];
    }

    /// <summary>Throws when the settings cannot generate a valid problem.</summary>
    /// <param name="paramName">The parameter to name in the exception.</param>
    /// <exception cref="ArgumentException">When a bound is out of range or inconsistent.</exception>
    public void Validate(string paramName)
    {
        if (Steps < 1)
            throw new ArgumentException($"Steps must be at least 1 (was {Steps}).", paramName);
        if (MinStart < 0 || MinStart > MaxStart || MaxStart > MaxValue)
            throw new ArgumentException($"Start range {MinStart}..{MaxStart} must be non-negative and within MaxValue {MaxValue}.", paramName);
        if (MaxValue < 1 || MaxValue >= ArithmeticFormat.ValueLimit)
            throw new ArgumentException($"MaxValue must be in 1..{ArithmeticFormat.ValueLimit - 1} (was {MaxValue}).", paramName);
        // Addition and subtraction are what keep every step feasible (one of them always applies), so they must exist.
        if (MaxAddend < 1)
            throw new ArgumentException($"MaxAddend must be at least 1 (was {MaxAddend}).", paramName);
        // Factors stay single-digit: the task is meant to be learnable by a character-level model in minutes.
        if (MaxMultiplier > 9 || MaxDivisor > 9)
            throw new ArgumentException($"MaxMultiplier and MaxDivisor must be at most 9 (were {MaxMultiplier} and {MaxDivisor}).", paramName);
    }
}
