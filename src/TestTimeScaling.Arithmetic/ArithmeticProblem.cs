using System.Globalization;
using System.Text;

namespace TestTimeScaling.Arithmetic;

/// <summary>
/// One arithmetic problem: a start value and the operations to apply to it in order.
/// Equality compares the operations element by element, so two problems with the same text are equal.
/// </summary>
/// <remarks>The prompt format is described on <see cref="ArithmeticFormat"/>, e.g. <c>"Q: 17 +8 *3 -12\n"</c>.</remarks>
public sealed record ArithmeticProblem
{
    /// <summary>Builds a problem from its parts and computes its prompt and answer.</summary>
    /// <param name="start">The start value.</param>
    /// <param name="operations">The operations, applied left to right; copied.</param>
    /// <param name="level">The difficulty level it was generated at (0 when unknown, e.g. parsed from a prompt).</param>
    /// <param name="id">An identifier for reports; defaults to the prompt without its prefix and newline.</param>
    /// <exception cref="ArgumentException">When there are no operations, a division is inexact, or any value
    /// leaves 0..<see cref="ArithmeticFormat.ValueLimit"/>-1.</exception>
    public ArithmeticProblem(int start, IEnumerable<ArithmeticOperation> operations, int level = 0, string? id = null)
    {
        ArgumentNullException.ThrowIfNull(operations);
        ArithmeticOperation[] ops = [.. operations];
        if (ops.Length == 0)
            throw new ArgumentException("A problem needs at least one operation.", nameof(operations));
        CheckValue(start, nameof(start));

        int value = start;
        foreach (ArithmeticOperation op in ops)
        {
            CheckValue(op.Operand, nameof(operations));
            value = op.TryApply(value)
                ?? throw new ArgumentException($"Operation {op} does not divide {value} exactly.", nameof(operations));
            CheckValue(value, nameof(operations));
        }

        Start = start;
        Operations = ops;
        Answer = value;
        Level = level;
        Prompt = FormatPrompt(start, ops);
        Id = id ?? Prompt[ArithmeticFormat.PromptPrefix.Length..^ArithmeticFormat.StepDelimiter.Length];
    }

    /// <summary>The text given to the model, e.g. <c>"Q: 17 +8 *3 -12\n"</c>.</summary>
    public string Prompt { get; }

    /// <summary>The start value (the left operand of the first step).</summary>
    public int Start { get; }

    /// <summary>The operations, in order; one solution line each.</summary>
    public IReadOnlyList<ArithmeticOperation> Operations { get; }

    /// <summary>The final value.</summary>
    public int Answer { get; }

    /// <summary>The difficulty level it was generated at, or 0 when unknown.</summary>
    public int Level { get; }

    /// <summary>An identifier for reports and traces.</summary>
    public string Id { get; }

    /// <summary>The reference answer as text, the form <see cref="ArithmeticAnswerExtractor"/> normalizes to.</summary>
    public string AnswerText => Answer.ToString(CultureInfo.InvariantCulture);

    /// <summary>The value after each operation, in order (the last is <see cref="Answer"/>).</summary>
    public IReadOnlyList<int> IntermediateValues()
    {
        var values = new int[Operations.Count];
        int value = Start;
        for (int i = 0; i < values.Length; i++)
            values[i] = value = Operations[i].TryApply(value)!.Value;
        return values;
    }

    /// <summary>The problem in the library's task form, with its reference answer for checkers and evaluation.</summary>
    public Problem ToProblem() => new(Prompt, Id, AnswerText);

    /// <summary>Reads a prompt in the task's format (spacing between tokens is tolerated).</summary>
    /// <exception cref="FormatException">When <paramref name="prompt"/> is not a problem of this task.</exception>
    public static ArithmeticProblem Parse(string prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return TryParse(prompt, out ArithmeticProblem? problem)
            ? problem
            : throw new FormatException($"Not an arithmetic prompt (expected e.g. \"Q: 17 +8 *3\"): \"{prompt}\".");
    }

    /// <summary>Reads a prompt in the task's format; false when it is not one.</summary>
    public static bool TryParse(string? prompt, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out ArithmeticProblem? problem)
    {
        problem = null;
        if (prompt is null)
            return false;
        string text = prompt.Trim();
        if (!text.StartsWith("Q:", StringComparison.Ordinal))
            return false;

        string[] tokens = text[2..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length < 2 || !TryParseValue(tokens[0], out int start))
            return false;

        var ops = new List<ArithmeticOperation>(tokens.Length - 1);
        foreach (string token in tokens.AsSpan(1))
        {
            if (token.Length < 2 || ArithmeticOperation.FromSymbol(token[0]) is not { } op || !TryParseValue(token[1..], out int operand))
                return false;
            ops.Add(new ArithmeticOperation(op, operand));
        }

        try
        {
            problem = new ArithmeticProblem(start, ops);
            return true;
        }
        catch (ArgumentException)
        {
            // Well-formed text can still describe an invalid problem (an inexact division, a value out of range).
            return false;
        }
    }

    /// <inheritdoc/>
    public bool Equals(ArithmeticProblem? other) =>
        other is not null
        && Start == other.Start
        && Level == other.Level
        && Id == other.Id
        && Operations.SequenceEqual(other.Operations);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Prompt, Level, Id);

    private static string FormatPrompt(int start, IReadOnlyList<ArithmeticOperation> ops)
    {
        var text = new StringBuilder(ArithmeticFormat.PromptPrefix).Append(start.ToString(CultureInfo.InvariantCulture));
        foreach (ArithmeticOperation op in ops)
            text.Append(' ').Append(op.ToString());
        return text.Append(ArithmeticFormat.StepDelimiter).ToString();
    }

    private static void CheckValue(int value, string paramName)
    {
        if (value < 0 || value >= ArithmeticFormat.ValueLimit)
            throw new ArgumentException($"Values must be in 0..{ArithmeticFormat.ValueLimit - 1} (got {value}).", paramName);
    }

    // Plain ASCII digits only: the task never writes signs, separators or other digit scripts in a prompt.
    private static bool TryParseValue(string text, out int value)
    {
        value = 0;
        if (text.Length is 0 or > 4)
            return false;
        foreach (char c in text)
        {
            if (c is < '0' or > '9')
                return false;
            value = value * 10 + (c - '0');
        }
        return true;
    }
}
