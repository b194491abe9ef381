using System.Globalization;

namespace TestTimeScaling.Arithmetic;

/// <summary>One step of a problem: an operator and its right operand (the left operand is the running value).</summary>
/// <param name="Operator">What to do.</param>
/// <param name="Operand">The right operand, non-negative.</param>
public readonly record struct ArithmeticOperation(ArithmeticOperator Operator, int Operand)
{
    /// <summary>The operator's one-character symbol: <c>+</c>, <c>-</c>, <c>*</c> or <c>/</c>.</summary>
    public char Symbol => SymbolOf(Operator);

    /// <summary>The one-character symbol of <paramref name="op"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">When <paramref name="op"/> is not a defined operator.</exception>
    public static char SymbolOf(ArithmeticOperator op) => op switch
    {
        ArithmeticOperator.Add => '+',
        ArithmeticOperator.Subtract => '-',
        ArithmeticOperator.Multiply => '*',
        ArithmeticOperator.Divide => '/',
        _ => throw new ArgumentOutOfRangeException(nameof(op), op, "Unknown arithmetic operator."),
    };

    /// <summary>The operator written as <paramref name="symbol"/>, or null when it is not one of <c>+ - * /</c>.</summary>
    public static ArithmeticOperator? FromSymbol(char symbol) => symbol switch
    {
        '+' => ArithmeticOperator.Add,
        '-' => ArithmeticOperator.Subtract,
        '*' => ArithmeticOperator.Multiply,
        '/' => ArithmeticOperator.Divide,
        _ => null,
    };

    /// <summary>
    /// Applies this operation to <paramref name="left"/>; null when the result is not an integer
    /// (inexact or by-zero division). Negative results are returned as they are: bounds are the generator's concern.
    /// </summary>
    public int? TryApply(int left) => Operator switch
    {
        ArithmeticOperator.Add => left + Operand,
        ArithmeticOperator.Subtract => left - Operand,
        ArithmeticOperator.Multiply => left * Operand,
        ArithmeticOperator.Divide => Operand != 0 && left % Operand == 0 ? left / Operand : null,
        _ => null,
    };

    /// <summary>The prompt form of the operation, e.g. <c>+8</c> or <c>*3</c>.</summary>
    public override string ToString() => Symbol + Operand.ToString(CultureInfo.InvariantCulture);
}
