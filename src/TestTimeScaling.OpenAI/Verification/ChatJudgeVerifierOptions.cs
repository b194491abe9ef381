using System.Globalization;

namespace TestTimeScaling.OpenAI;

/// <summary>Settings of a <see cref="ChatJudgeVerifier"/>.</summary>
public sealed record ChatJudgeVerifierOptions
{
    /// <summary>Yes/no or a numeric score.</summary>
    public JudgeVerdict Verdict { get; init; } = JudgeVerdict.YesNo;

    /// <summary>Top of the scale in <see cref="JudgeVerdict.Score"/> mode.</summary>
    public int MaxScore { get; init; } = 10;

    /// <summary>
    /// Builds the judge's prompt from the problem and one solution; null uses a plain template that asks for the
    /// verdict as its last line, so the verdict is the first token the judge writes.
    /// </summary>
    public Func<Problem, string, string>? Prompt { get; init; }

    /// <summary>Most tokens the judge may write.</summary>
    public int MaxOutputTokens { get; init; } = 8;

    /// <summary>Sent as <c>ChatOptions.ModelId</c> on the chat route.</summary>
    public string? ModelId { get; init; }

    /// <summary>Most judge calls in flight at once.</summary>
    public int MaxConcurrentRequests { get; init; } = 8;

    /// <summary>The prompt for <paramref name="problem"/> and <paramref name="solution"/>.</summary>
    public string Render(Problem problem, string solution)
    {
        if (Prompt is { } custom) return custom(problem, solution);
        var question = Verdict == JudgeVerdict.YesNo
            ? "Is the proposed solution correct? Answer Yes or No.\nVerdict:"
            : string.Create(CultureInfo.InvariantCulture, $"Rate the proposed solution from 0 (wrong) to {MaxScore} (correct). Answer with the number only.\nScore:");
        return $"Problem:\n{problem.Prompt}\n\nProposed solution:\n{solution}\n\n{question}";
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (MaxScore <= 0) throw new ArgumentOutOfRangeException(nameof(MaxScore), MaxScore, "MaxScore must be positive.");
        if (MaxOutputTokens <= 0) throw new ArgumentOutOfRangeException(nameof(MaxOutputTokens), MaxOutputTokens, "MaxOutputTokens must be positive.");
        if (MaxConcurrentRequests <= 0) throw new ArgumentOutOfRangeException(nameof(MaxConcurrentRequests), MaxConcurrentRequests, "MaxConcurrentRequests must be positive.");
    }
}
