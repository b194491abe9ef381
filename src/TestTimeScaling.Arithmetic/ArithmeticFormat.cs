namespace TestTimeScaling.Arithmetic;

/// <summary>
/// The fixed text format of the arithmetic task, shared by the generator, the checker, the labeler and
/// the tokenizer of the embedded model. Changing anything here invalidates trained weights.
/// </summary>
/// <remarks>
/// <para>A problem is a start value followed by operations applied strictly left to right (no precedence),
/// one per solution line. Every value is a non-negative integer below 1000.</para>
/// <para>Prompt: <c>"Q: "</c>, the start value, then each operation as a space, its symbol and its operand,
/// then <c>"\n"</c>. Example: <c>"Q: 17 +8 *3 -12\n"</c> means start at 17, add 8, multiply by 3, subtract 12.
/// Symbols: <c>+</c> add, <c>-</c> subtract, <c>*</c> multiply, <c>/</c> exact integer division.</para>
/// <para>Solution: one line per operation, <c>left</c><c>symbol</c><c>operand</c><c>=</c><c>result</c>, each ending
/// with <c>"\n"</c>, where the left operand is the previous line's result (the start value for the first line);
/// then the answer line <c>"A: "</c>, the final value, <c>"\n"</c>.
/// Example: <c>"17+8=25\n25*3=75\n75-12=63\nA: 63\n"</c>.</para>
/// <para>A step is one line; the step delimiter is <c>"\n"</c>.</para>
/// </remarks>
public static class ArithmeticFormat
{
    /// <summary>Starts every prompt.</summary>
    public const string PromptPrefix = "Q: ";

    /// <summary>Starts the final-answer line of a solution.</summary>
    public const string AnswerPrefix = "A: ";

    /// <summary>Ends every prompt and every solution line; a process reward model scores at this boundary.</summary>
    public const string StepDelimiter = "\n";

    /// <summary>
    /// Every character that prompts and gold solutions use, in a fixed order, for a character-level tokenizer:
    /// the ten digits, the four operator symbols, <c>=</c>, <c>:</c>, space, <c>Q</c>, <c>A</c> and the newline.
    /// </summary>
    public const string Alphabet = "0123456789+-*/=: QA\n";

    /// <summary>Every value (start, operand, intermediate and final result) is below this bound.</summary>
    public const int ValueLimit = 1000;
}
