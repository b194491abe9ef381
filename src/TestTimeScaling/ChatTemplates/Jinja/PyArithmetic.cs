namespace TestTimeScaling;

/// <summary>Python arithmetic on int (64-bit here) and float: true division, floor division and modulo with the divisor's sign.</summary>
internal static class PyArithmetic
{
    public static object? Apply(string op, object? a, object? b)
    {
        if (!PyOps.IsNumber(a) || !PyOps.IsNumber(b))
            throw new JinjaTypeError($"unsupported operand type(s) for {op}: '{PyOps.TypeName(a)}' and '{PyOps.TypeName(b)}'");
        bool floats = a is double || b is double;
        if (op == "/")
        {
            double divisor = PyOps.ToDouble(b);
            if (divisor == 0) throw new JinjaTypeError("division by zero");
            return PyOps.ToDouble(a) / divisor;
        }
        if (floats)
        {
            double x = PyOps.ToDouble(a), y = PyOps.ToDouble(b);
            switch (op)
            {
                case "+": return x + y;
                case "-": return x - y;
                case "*": return x * y;
                case "**": return Math.Pow(x, y);
                case "//":
                    if (y == 0) throw new JinjaTypeError("float floor division by zero");
                    return Math.Floor(x / y);
                case "%":
                    if (y == 0) throw new JinjaTypeError("float modulo");
                    double m = x % y;
                    return m != 0 && (m < 0) != (y < 0) ? m + y : m;
            }
        }
        else
        {
            long x = PyOps.ToLong(a), y = PyOps.ToLong(b);
            try
            {
                checked
                {
                    switch (op)
                    {
                        case "+": return x + y;
                        case "-": return x - y;
                        case "*": return x * y;
                        case "**":
                            if (y < 0) return Math.Pow(x, y);
                            long result = 1;
                            for (long i = 0; i < y; i++) result *= x;
                            return result;
                        case "//":
                            if (y == 0) throw new JinjaTypeError("integer division or modulo by zero");
                            long q = x / y;
                            return (x % y != 0) && ((x < 0) != (y < 0)) ? q - 1 : q;
                        case "%":
                            if (y == 0) throw new JinjaTypeError("integer division or modulo by zero");
                            long r = x % y;
                            return r != 0 && (r < 0) != (y < 0) ? r + y : r;
                    }
                }
            }
            catch (OverflowException)
            {
                throw new JinjaTypeError($"integer overflow in {op} (this interpreter's integers are 64-bit)");
            }
        }
        throw new JinjaTypeError($"unsupported operator {op}");
    }
}
