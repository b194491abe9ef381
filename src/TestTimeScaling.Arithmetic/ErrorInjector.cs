using System.Text;

namespace TestTimeScaling.Arithmetic;

/// <summary>
/// Makes plausible wrong solutions for reward-model training: one step gets a wrong result (an arithmetic slip), a
/// wrong operand (a misread) or a wrong left value (a miscopied running value), and every later line carries on
/// consistently from the wrong value, the way a model's own mistakes propagate. Under <see cref="StepLabeler"/>, the steps before the corrupted one stay correct and the
/// rest are wrong, so the error's position is known exactly.
/// </summary>
public static class ErrorInjector
{
    // Enough tries to find a slip that later exact divisions tolerate; past that, corrupting the answer line always works.
    private const int Attempts = 32;

    /// <summary>
    /// Corrupts one step of <paramref name="solution"/>, chosen uniformly among its leading correct steps (the answer
    /// line included), keeps the lines before it and rewrites the lines after it from the wrong value.
    /// </summary>
    /// <param name="problem">The problem the solution solves.</param>
    /// <param name="solution">A solution, usually the gold one (<see cref="SolutionWriter.Write"/>); lines after its first
    /// error are rewritten anyway.</param>
    /// <param name="random">The source of choices; pass a <see cref="SeededRandom"/> for reproducible data.</param>
    /// <returns>The corrupted text (operation lines then the answer line) and the index of its first wrong step.</returns>
    public static CorruptedSolution Corrupt(ArithmeticProblem problem, string solution, Random random)
    {
        ArgumentNullException.ThrowIfNull(problem);
        ArgumentNullException.ThrowIfNull(solution);
        ArgumentNullException.ThrowIfNull(random);

        IReadOnlyList<string> steps = StepLabeler.SplitSteps(solution);
        int opCount = problem.Operations.Count;
        int lastChoice = Math.Min(StepLabeler.FirstWrongStep(StepLabeler.Label(problem, solution)), opCount);
        int index = random.Next(lastChoice + 1);
        IReadOnlyList<int> truth = problem.IntermediateValues();

        for (int attempt = 0; attempt < Attempts && index < opCount; attempt++)
        {
            if (TryCorruptStep(problem, truth, index, random) is { } tail)
                return new CorruptedSolution(Prefix(steps, index) + tail, index);
        }

        // The answer line can always be wrong on its own: say a value the last line did not produce.
        index = opCount;
        return new CorruptedSolution(Prefix(steps, index) + SolutionWriter.AnswerLine(Slip(problem.Answer, random)), index);
    }

    private static string Prefix(IReadOnlyList<string> steps, int count)
    {
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
            text.Append(steps[i]).Append(ArithmeticFormat.StepDelimiter);
        return text.ToString();
    }

    // The corrupted line and everything after it, or null when the wrong value breaks a later exact division
    // or goes negative (the task never writes those, so such a negative would be trivially easy to spot).
    private static string? TryCorruptStep(ArithmeticProblem problem, IReadOnlyList<int> truth, int index, Random random)
    {
        int left = index == 0 ? problem.Start : truth[index - 1];
        ArithmeticOperation op = problem.Operations[index];
        ArithmeticOperation written = op;
        int writtenLeft = left;
        int value;
        switch (random.Next(3))
        {
            case 0:
                value = Slip(truth[index], random);
                break;
            case 1:
                written = op with { Operand = MisreadOperand(op, random) };
                if (written.TryApply(left) is not { } misread || misread == truth[index])
                    return null;
                value = misread;
                break;
            default:
                // A miscopied running value, worked out correctly from there.
                writtenLeft = Slip(left, random);
                if (op.TryApply(writtenLeft) is not { } fromCopy || fromCopy == truth[index])
                    return null;
                value = fromCopy;
                break;
        }
        if (value < 0)
            return null;

        var text = new StringBuilder(SolutionWriter.StepLine(writtenLeft, written, value));
        for (int i = index + 1; i < problem.Operations.Count; i++)
        {
            ArithmeticOperation next = problem.Operations[i];
            if (next.TryApply(value) is not { } result || result < 0)
                return null;
            text.Append(SolutionWriter.StepLine(value, next, result));
            value = result;
        }
        return text.Append(SolutionWriter.AnswerLine(value)).ToString();
    }

    // A different, non-negative value near the right one, shaped like common slips: off by a little, off by ten
    // (a dropped carry), off by a hundred.
    private static int Slip(int right, Random random)
    {
        while (true)
        {
            int magnitude = random.Next(10) switch
            {
                < 5 => random.Next(1, 4),
                < 8 => 10,
                < 9 => 100,
                _ => random.Next(1, 21),
            };
            int wrong = random.Next(2) == 0 ? right + magnitude : right - magnitude;
            if (wrong >= 0)
                return wrong;
        }
    }

    private static int MisreadOperand(ArithmeticOperation op, Random random)
    {
        // Factors stay single-digit and at least 2, as the task writes them; addends stay positive.
        int min = op.Operator is ArithmeticOperator.Multiply or ArithmeticOperator.Divide ? 2 : 1;
        int max = op.Operator is ArithmeticOperator.Multiply or ArithmeticOperator.Divide ? 9 : Math.Max(op.Operand + 10, 9);
        int operand;
        do
            operand = random.Next(min, max + 1);
        while (operand == op.Operand);
        return operand;
    }
}
