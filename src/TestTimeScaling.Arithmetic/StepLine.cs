using System.Text.RegularExpressions;

namespace TestTimeScaling.Arithmetic;

/// <summary>A parsed solution line <c>left op operand = result</c>, as written (right or wrong).</summary>
internal readonly partial record struct StepLine(int Left, ArithmeticOperation Operation, int Result)
{
    /// <summary>Reads one step line (without its delimiter); spaces around the tokens are tolerated.</summary>
    public static bool TryParse(string line, out StepLine step)
    {
        step = default;
        Match m = Pattern().Match(line);
        if (!m.Success
            || !int.TryParse(m.Groups["left"].ValueSpan, out int left)
            || !int.TryParse(m.Groups["right"].ValueSpan, out int right)
            || !int.TryParse(m.Groups["result"].ValueSpan, out int result))
            return false;
        step = new StepLine(left, new ArithmeticOperation(ArithmeticOperation.FromSymbol(m.Groups["op"].Value[0])!.Value, right), result);
        return true;
    }

    // Nine digits at most, so int.TryParse cannot overflow on a model's runaway digits.
    [GeneratedRegex(@"^\s*(?<left>[0-9]{1,9})\s*(?<op>[-+*/])\s*(?<right>[0-9]{1,9})\s*=\s*(?<result>[0-9]{1,9})\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex Pattern();
}
