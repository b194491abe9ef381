using System.Globalization;
using System.Text;

namespace TestTimeScaling.Arithmetic;

/// <summary>Writes solutions in the task's format (see <see cref="ArithmeticFormat"/>): the gold steps, or single lines.</summary>
public static class SolutionWriter
{
    /// <summary>
    /// The reference solution: one line per operation, then the answer line, each ending with <c>"\n"</c>;
    /// e.g. <c>"17+8=25\n25*3=75\n75-12=63\nA: 63\n"</c> for <c>"Q: 17 +8 *3 -12\n"</c>.
    /// </summary>
    public static string Write(ArithmeticProblem problem)
    {
        ArgumentNullException.ThrowIfNull(problem);
        var text = new StringBuilder();
        int value = problem.Start;
        foreach (ArithmeticOperation op in problem.Operations)
        {
            int result = op.TryApply(value)!.Value;
            text.Append(StepLine(value, op, result));
            value = result;
        }
        return text.Append(AnswerLine(value)).ToString();
    }

    /// <summary>One step line with its delimiter, e.g. <c>"25*3=75\n"</c>; the result is written as given, right or wrong.</summary>
    public static string StepLine(int left, ArithmeticOperation operation, int result) =>
        string.Create(CultureInfo.InvariantCulture, $"{left}{operation.Symbol}{operation.Operand}={result}{ArithmeticFormat.StepDelimiter}");

    /// <summary>The final-answer line with its delimiter, e.g. <c>"A: 63\n"</c>.</summary>
    public static string AnswerLine(int answer) =>
        string.Create(CultureInfo.InvariantCulture, $"{ArithmeticFormat.AnswerPrefix}{answer}{ArithmeticFormat.StepDelimiter}");
}
