namespace TestTimeScaling.OpenAI;

/// <summary>What a <see cref="ChatJudgeVerifier"/> asks its judge for.</summary>
public enum JudgeVerdict
{
    /// <summary>"Yes" or "No": the score is 1 or 0, or the probability of "Yes" when the verdict's logprob is known.</summary>
    YesNo,
    /// <summary>A number from 0 to <see cref="ChatJudgeVerifierOptions.MaxScore"/>, scaled to [0, 1].</summary>
    Score,
}
