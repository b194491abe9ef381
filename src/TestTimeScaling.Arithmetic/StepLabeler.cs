namespace TestTimeScaling.Arithmetic;

/// <summary>
/// Gold per-step labels for solutions of the task, for training and evaluating process reward models.
/// A step is one line (see <see cref="SplitSteps"/>). A step is correct when every earlier step is correct and
/// the line itself is right: for the operation line <c>i</c>, its left operand is the running value (the start
/// value for the first line), its operator and operand are the problem's operation <c>i</c>, and its result is the
/// true result; for the answer line (<c>A: </c>, right after the last operation line), its value is the answer.
/// Anything else (a malformed line, a missing or early answer line, lines after the answer) is incorrect.
/// </summary>
public static class StepLabeler
{
    /// <summary>
    /// Splits a solution into steps at <see cref="ArithmeticFormat.StepDelimiter"/>, without the delimiters, dropping
    /// the empty tail after a final delimiter (an unfinished last line is kept as a step).
    /// </summary>
    public static IReadOnlyList<string> SplitSteps(string solution)
    {
        ArgumentNullException.ThrowIfNull(solution);
        string[] parts = solution.Split(ArithmeticFormat.StepDelimiter);
        return parts[^1].Length == 0 ? parts[..^1] : parts;
    }

    /// <summary>One label per step of <paramref name="solution"/> for <paramref name="problem"/>; true where correct.</summary>
    public static IReadOnlyList<bool> Label(ArithmeticProblem problem, string solution)
    {
        ArgumentNullException.ThrowIfNull(problem);
        IReadOnlyList<string> steps = SplitSteps(solution);
        var labels = new bool[steps.Count];
        int value = problem.Start;
        for (int i = 0; i < steps.Count; i++)
        {
            // Correctness is a prefix property: once a step is wrong, every later step is wrong too.
            if (!IsCorrect(problem, i, steps[i], ref value))
                break;
            labels[i] = true;
        }
        return labels;
    }

    /// <summary>One label per step of <paramref name="solution"/> for the problem written in <paramref name="prompt"/>.</summary>
    /// <exception cref="FormatException">When <paramref name="prompt"/> is not a prompt of this task.</exception>
    public static IReadOnlyList<bool> Label(string prompt, string solution) =>
        Label(ArithmeticProblem.Parse(prompt), solution);

    /// <summary>The index of the first incorrect step, or the step count when all are correct.</summary>
    public static int FirstWrongStep(IReadOnlyList<bool> labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        for (int i = 0; i < labels.Count; i++)
        {
            if (!labels[i])
                return i;
        }
        return labels.Count;
    }

    /// <summary>Whether <paramref name="solution"/> is entirely correct: every operation line, then the answer line, nothing after.</summary>
    public static bool IsFullyCorrect(ArithmeticProblem problem, string solution)
    {
        IReadOnlyList<bool> labels = Label(problem, solution);
        return labels.Count == problem.Operations.Count + 1 && FirstWrongStep(labels) == labels.Count;
    }

    private static bool IsCorrect(ArithmeticProblem problem, int index, string step, ref int value)
    {
        string line = step.TrimEnd('\r');
        if (index < problem.Operations.Count)
        {
            ArithmeticOperation expected = problem.Operations[index];
            if (!StepLine.TryParse(line, out StepLine parsed) || parsed.Left != value || parsed.Operation != expected)
                return false;
            int truth = expected.TryApply(value)!.Value;
            if (parsed.Result != truth)
                return false;
            value = truth;
            return true;
        }

        // Only the line right after the last operation may be the answer line.
        return index == problem.Operations.Count
            && line.StartsWith("A:", StringComparison.Ordinal)
            && ArithmeticAnswerExtractor.Normalize(line[2..]) == problem.AnswerText
            && value == problem.Answer;
    }
}
