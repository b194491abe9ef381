namespace TestTimeScaling.Arithmetic;

/// <summary>The kinds of step a problem can ask for.</summary>
public enum ArithmeticOperator
{
    /// <summary>Addition, written <c>+</c>.</summary>
    Add,
    /// <summary>Subtraction, written <c>-</c>; problems never go below zero.</summary>
    Subtract,
    /// <summary>Multiplication by a small factor, written <c>*</c>.</summary>
    Multiply,
    /// <summary>Integer division, written <c>/</c>; problems only divide when the result is exact.</summary>
    Divide,
}
